"""HTTP routes of the front desk (staff of one establishment, identity from the gateway's staff token)."""

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from services.appointments.booking.schemas import AppointmentResponse
from services.appointments.front_desk import use_cases
from services.appointments.front_desk.rules import Attendance
from services.appointments.front_desk.schemas import DayListEntry
from shared.request_context import StaffMember, UoW
from shared.request_models import Day

router = APIRouter()
MONTREAL = ZoneInfo("America/Montreal")


@router.get("/admin/establishments/{establishment_id}/appointments")
async def day_list(
    establishment_id: uuid.UUID, member: StaffMember, uow: UoW, day: Day | None = None
) -> list[DayListEntry]:
    member.authorise(establishment_id)
    return await use_cases.day_list(uow, member, day or datetime.now(MONTREAL).date())


@router.get("/admin/establishments/{establishment_id}/appointments/{appointment_id}")
async def appointment_entry(
    establishment_id: uuid.UUID, appointment_id: uuid.UUID, member: StaffMember, uow: UoW
) -> DayListEntry:
    member.authorise(establishment_id)
    return await use_cases.appointment_entry(uow, member, appointment_id)


@router.post("/admin/establishments/{establishment_id}/appointments/{appointment_id}/{attendance}")
async def record_attendance(
    establishment_id: uuid.UUID,
    appointment_id: uuid.UUID,
    attendance: Attendance,
    member: StaffMember,
    uow: UoW,
) -> AppointmentResponse:
    member.authorise(establishment_id)
    return await use_cases.record_attendance(uow, establishment_id, appointment_id, attendance)
