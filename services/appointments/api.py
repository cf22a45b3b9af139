"""HTTP routes of the appointments service: parse, call a use case, answer.

Who is calling comes from the access token the gateway forwards, verified here (shared/request_context.py):
a citizen's account, or a staff member and their establishment. Bookings made without an account are
managed with their token.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from services.appointments import booking_sources, front_desk, service
from services.appointments.calendar_file import appointment_ics
from services.appointments.catalogue import authorise
from services.appointments.history_api import nam_digester
from services.appointments.history_api import router as history_router
from services.appointments.schemas import (
    AppointmentResponse,
    BookAppointmentRequest,
    BookedAppointmentResponse,
    BookForPersonRequest,
    DayListEntry,
    EstablishmentResponse,
    ManageAppointmentRequest,
    MyAppointmentsResponse,
    RescheduleAppointmentRequest,
    SlotResponse,
)
from services.appointments.service import Caller
from shared.client_address import ClientKey
from shared.request_context import Citizen, StaffMember, UoW
from shared.request_models import Day, Instant

router = APIRouter()
MONTREAL = ZoneInfo("America/Montreal")


async def secret(request: Request) -> bytes:
    return request.app.state.runtime.settings.secret_key.get_secret_value().encode()


Secret = Annotated[bytes, Depends(secret)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def booked_response(result: tuple[BookedAppointmentResponse, bool]) -> Response:
    # Serialised here, once: returned as a model, FastAPI would validate it again against the response
    # model before serialising it (the hot path; the model is ours and already valid).
    booked, replayed = result
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(booked.model_dump_json(), status.HTTP_201_CREATED, headers, "application/json")


@router.post("/appointments", status_code=status.HTTP_201_CREATED, response_model=BookedAppointmentResponse)
async def book_appointment(
    body: BookAppointmentRequest,
    uow: UoW,
    key: Secret,
    request: Request,
    source: ClientKey,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    booking = service.from_anonymous(body, nam_digester(request).digest)
    await booking_sources.admit(uow.engine, request.app.state.runtime.settings, source)
    return booked_response(await service.book_appointment(uow, key, booking, idempotency_key))


@router.post("/my/appointments", status_code=status.HTTP_201_CREATED, response_model=BookedAppointmentResponse)
async def book_for_person(
    body: BookForPersonRequest,
    account_id: Citizen,
    uow: UoW,
    key: Secret,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    booking = service.from_account(account_id, body)
    return booked_response(await service.book_appointment(uow, key, booking, idempotency_key))


@router.get("/my/appointments")
async def my_appointments(account_id: Citizen, uow: UoW) -> MyAppointmentsResponse:
    return await service.my_appointments(uow, account_id)


@router.post("/my/appointments/{appointment_id}/cancel")
async def cancel_mine(appointment_id: uuid.UUID, account_id: Citizen, uow: UoW, key: Secret) -> AppointmentResponse:
    return await service.cancel_appointment(uow, key, appointment_id, Caller(account_id=account_id))


@router.post("/my/appointments/{appointment_id}/confirm")
async def confirm_mine(appointment_id: uuid.UUID, account_id: Citizen, uow: UoW, key: Secret) -> AppointmentResponse:
    return await service.confirm_presence(uow, key, appointment_id, Caller(account_id=account_id))


@router.post("/my/appointments/{appointment_id}/reschedule")
async def reschedule_mine(
    appointment_id: uuid.UUID, body: RescheduleAppointmentRequest, account_id: Citizen, uow: UoW, key: Secret
) -> AppointmentResponse:
    return await service.reschedule_appointment(uow, key, appointment_id, body.slot_id, Caller(account_id=account_id))


@router.get("/my/appointments/{appointment_id}.ics")
async def my_calendar_file(appointment_id: uuid.UUID, account_id: Citizen, uow: UoW, key: Secret) -> Response:
    row = await service.get_appointment(uow, key, appointment_id, Caller(account_id=account_id))
    return _ics(row)


@router.post("/appointments/{appointment_id}/cancel")
async def cancel_with_token(
    appointment_id: uuid.UUID, body: ManageAppointmentRequest, uow: UoW, key: Secret
) -> AppointmentResponse:
    return await service.cancel_appointment(uow, key, appointment_id, Caller(token=body.token))


@router.post("/appointments/{appointment_id}/confirm")
async def confirm_with_token(
    appointment_id: uuid.UUID, body: ManageAppointmentRequest, uow: UoW, key: Secret
) -> AppointmentResponse:
    return await service.confirm_presence(uow, key, appointment_id, Caller(token=body.token))


@router.post("/appointments/{appointment_id}/reschedule")
async def reschedule_with_token(
    appointment_id: uuid.UUID, body: RescheduleAppointmentRequest, uow: UoW, key: Secret
) -> BookedAppointmentResponse:
    """With the link's token; the answer carries the new link's token, the old one having stopped working."""
    return await service.reschedule_with_link(uow, key, appointment_id, body.slot_id, body.token or "")


@router.get("/appointments/{appointment_id}.ics")
async def calendar_file(
    appointment_id: uuid.UUID, uow: UoW, key: Secret, token: Annotated[str, Query(max_length=200)]
) -> Response:
    return _ics(await service.get_appointment(uow, key, appointment_id, Caller(token=token)))


@router.get("/appointments/{appointment_id}")
async def appointment_with_token(
    appointment_id: uuid.UUID, uow: UoW, key: Secret, token: Annotated[str, Query(max_length=200)]
) -> AppointmentResponse:
    """What a manage link is about, shown before the citizen cancels or confirms with it (after the .ics route,
    whose path this one would otherwise take)."""
    row = await service.get_appointment(uow, key, appointment_id, Caller(token=token))
    return service.appointment_response(row)


def _ics(row: object) -> Response:
    return Response(
        appointment_ics(row, getattr(row, "language", "fr")),
        media_type="text/calendar",
        headers={"content-disposition": f'attachment; filename="rendez-vous-{getattr(row, "id", "")}.ics"'},
    )


@router.get("/admin/establishments/{establishment_id}/appointments")
async def day_list(
    establishment_id: uuid.UUID, member: StaffMember, uow: UoW, day: Day | None = None
) -> list[DayListEntry]:
    authorise(member, establishment_id, change=False)
    return await front_desk.day_list(uow, member, day or datetime.now(MONTREAL).date())


@router.get("/admin/establishments/{establishment_id}/appointments/{appointment_id}")
async def appointment_entry(
    establishment_id: uuid.UUID, appointment_id: uuid.UUID, member: StaffMember, uow: UoW
) -> DayListEntry:
    authorise(member, establishment_id, change=False)
    return await front_desk.appointment_entry(uow, member, appointment_id)


@router.post("/admin/establishments/{establishment_id}/appointments/{appointment_id}/{attendance}")
async def record_attendance(
    establishment_id: uuid.UUID,
    appointment_id: uuid.UUID,
    attendance: Literal["arrived", "noshow", "fulfilled"],
    member: StaffMember,
    uow: UoW,
) -> AppointmentResponse:
    authorise(member, establishment_id, change=False)
    return await service.record_attendance(uow, establishment_id, appointment_id, attendance)


@router.get("/establishments", response_model=list[EstablishmentResponse])
async def list_establishments(
    uow: UoW, limit: Annotated[int, Query(ge=1, le=100)] = 20, offset: Annotated[int, Query(ge=0, le=100_000)] = 0
) -> list[EstablishmentResponse]:
    return await service.list_establishments(uow, limit, offset)


@router.get("/slots", response_model=list[SlotResponse])
async def list_free_slots(
    uow: UoW,
    service_id: uuid.UUID,
    date_from: Instant | None = None,
    date_to: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SlotResponse]:
    start = date_from or datetime.now(UTC)
    return await service.list_free_slots(uow, service_id, start, date_to or start + timedelta(days=14), limit)


# The account's history (history_api.py) is served by the same router, after the routes above.
router.include_router(history_router)
