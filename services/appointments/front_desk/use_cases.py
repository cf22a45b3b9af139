"""What the front desk reads and records: the day's Suivi list and one appointment, with the identity and
association icons from the local read model of verification states; arrivals, no-shows and completions.

Every read of patient records is reported (PatientRecordsViewed, ids only) in the same transaction as
the read, through the outbox: verification's append-only audit log keeps who read what, where and when.
A read whose report cannot be written fails, so nothing is shown without a trace.
"""

import uuid
from datetime import UTC, date, datetime
from typing import Literal

from services.appointments.booking import queries as booking_queries
from services.appointments.booking.rules import ARRIVED, NOSHOW, AppointmentNotFound
from services.appointments.booking.schemas import AppointmentResponse
from services.appointments.booking.use_cases import appointment_response
from services.appointments.front_desk import queries, rules
from services.appointments.front_desk.queries import SuiviRow
from services.appointments.front_desk.schemas import DayListEntry
from shared.contracts.appointments import AppointmentCompleted, NoShowRecorded, PatientArrived, PatientRecordsViewed
from shared.staff import MANAGER, EstablishmentNotFound, Staff
from shared.unit_of_work import UnitOfWork


def _entry(row: SuiviRow) -> DayListEntry:
    appointment = row.appointment
    profile_icon, card_icon = rules.suivi_icons(
        appointment.account_id, appointment.person_id, row.identity_validated, row.association_validated
    )
    return DayListEntry(
        **appointment_response(appointment).model_dump(),
        account_id=appointment.account_id,
        birth_date=appointment.birth_date,
        holder_name=appointment.holder_name,
        sex=appointment.sex,
        booked_with_account=appointment.account_id is not None,
        source=appointment.source,
        profile_icon=profile_icon,
        card_icon=card_icon,
    )


def _own(staff: Staff) -> uuid.UUID:
    """The establishment the staff member acts for; none chosen (or an operator): nothing of theirs to read."""
    if staff.establishment_id is None:
        raise EstablishmentNotFound
    return staff.establishment_id


def _report(uow: UnitOfWork, staff: Staff, view: Literal["day_list", "appointment"], ids: list[uuid.UUID]) -> None:
    uow.publish(
        PatientRecordsViewed(
            staff_id=staff.id,
            establishment_id=_own(staff),
            view=view,
            appointment_ids=ids,
            at=datetime.now(UTC),
            staff_role="manager" if staff.role == MANAGER else "clerk",
        )
    )


async def day_list(uow: UnitOfWork, staff: Staff, day: date) -> list[DayListEntry]:
    """The front desk's list for one local day of the staff member's establishment, by time."""
    async with uow:
        rows = await queries.day_list(uow.session, _own(staff), day)
        entries = [_entry(row) for row in rows]
        _report(uow, staff, "day_list", [entry.id for entry in entries])
        await uow.commit()
    return entries


async def appointment_entry(uow: UnitOfWork, staff: Staff, appointment_id: uuid.UUID) -> DayListEntry:
    """One appointment of the staff member's establishment; another establishment's does not exist."""
    async with uow:
        row = await queries.suivi_entry(uow.session, _own(staff), appointment_id)
        if row is None:
            raise EstablishmentNotFound
        entry = _entry(row)
        _report(uow, staff, "appointment", [entry.id])
        await uow.commit()
    return entry


async def record_attendance(
    uow: UnitOfWork, establishment_id: uuid.UUID, appointment_id: uuid.UUID, wanted: rules.Attendance
) -> AppointmentResponse:
    """Front desk: arrived, no-show, fulfilled; only on the staff member's own establishment."""
    async with uow:
        row = await booking_queries.appointment_by_id(uow.session, appointment_id)
        if row is None or row.establishment_id != establishment_id:
            raise AppointmentNotFound
        locked = await booking_queries.lock_appointment(uow.session, appointment_id)
        rules.require_attendance_allowed(locked.status, wanted)
        await queries.record_attendance(uow.session, appointment_id, wanted)
        event_type = {ARRIVED: PatientArrived, NOSHOW: NoShowRecorded}.get(wanted, AppointmentCompleted)
        uow.publish(event_type(appointment_id=appointment_id, establishment_id=establishment_id, at=datetime.now(UTC)))
        await uow.commit()
    return appointment_response(row, status=wanted)
