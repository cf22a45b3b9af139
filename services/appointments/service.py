"""Use cases of the appointments service. Each one owns its unit of work's commit."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.appointments import booking_statement, domain
from services.appointments.schemas import (
    AppointmentResponse,
    BookAppointmentRequest,
    BookedAppointmentResponse,
    BookForPersonRequest,
    EstablishmentResponse,
    MyAppointmentsResponse,
    PlaceResponse,
    ServiceResponse,
    SlotResponse,
)
from shared.contact import require_contact
from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    NoShowRecorded,
    PatientArrived,
    PatientContactV1,
    PlaceV1,
    ServiceOfferedV1,
)
from shared.contracts.appointments import AppointmentCompleted as AppointmentCompletedEvent
from shared.ids import new_id
from shared.logging import current_correlation_id
from shared.messages import EventEnvelope
from shared.metrics import count_bookings
from shared.unit_of_work import UnitOfWork

# One statement claims the seat and reads what the confirmation needs. The row lock taken by the
# UPDATE serialises concurrent claims on a slot and PostgreSQL re-checks `booked < capacity`
# after the lock, so a slot can never be oversold.
CLAIM_SEAT = text("""
UPDATE slots AS s SET booked = s.booked + 1
FROM services AS sv JOIN establishments AS e ON e.id = sv.establishment_id
WHERE s.id = :slot_id AND sv.id = s.service_id AND s.booked < s.capacity AND s.starts_at > now()
RETURNING s.starts_at, s.ends_at, sv.id AS service_id, sv.name_fr, sv.name_en,
          e.id AS establishment_id, e.name, e.address, e.city, e.postal_code, e.timezone
""")
RELEASE_SEAT = text("UPDATE slots SET booked = booked - 1 WHERE id = :slot_id")
SLOT_STATE = text("SELECT starts_at, capacity, booked FROM slots WHERE id = :slot_id")

DETAILS = """
SELECT a.id, a.slot_id, a.account_id, a.person_id, a.status, a.first_name, a.last_name, a.birth_date, a.holder_name,
       a.sex, a.email, a.phone,
       a.language, a.notify_email, a.notify_sms, a.confirmed_at, a.request_fingerprint, a.manage_generation,
       s.starts_at, s.ends_at, sv.id AS service_id, sv.name_fr, sv.name_en,
       e.id AS establishment_id, e.name, e.address, e.city, e.postal_code, e.timezone
FROM appointments a JOIN slots s ON s.id = a.slot_id JOIN services sv ON sv.id = s.service_id
JOIN establishments e ON e.id = sv.establishment_id
"""
APPOINTMENT_BY_ID = text(DETAILS + " WHERE a.id = :id")
APPOINTMENT_BY_KEY = text(DETAILS + " WHERE a.idempotency_key = :key")
# Its own appointments and those of the accounts linked with it (read model of AccountsLinked). The ids are
# gathered first, as arrays, so that each side is an index scan: written as `= :account_id OR IN (...)`,
# the planner could only filter every appointment in a sequential scan: 38-39 ms over 100,000 appointments
# and growing with the table, against about 1 ms this way.
APPOINTMENTS_OF_ACCOUNT = text(
    DETAILS
    + """ WHERE a.account_id = ANY (ARRAY(
      SELECT CAST(:account_id AS uuid) UNION
      SELECT m.account_id FROM account_links l JOIN account_links m ON m.group_id = l.group_id
      WHERE l.account_id = :account_id))
    OR a.person_id = ANY (ARRAY(
      SELECT m.person_id FROM dependant_links l JOIN dependant_links m ON m.group_id = l.group_id
      WHERE l.account_id = :account_id))
    ORDER BY s.starts_at, a.id"""
)
SAME_LINK_GROUP = text(
    "SELECT EXISTS (SELECT 1 FROM account_links l JOIN account_links m ON m.group_id = l.group_id "
    "WHERE l.account_id = :caller AND m.account_id = :owner) "
    "OR EXISTS (SELECT 1 FROM dependant_links l JOIN dependant_links m ON m.group_id = l.group_id "
    "WHERE l.account_id = :caller AND m.person_id = :person)"
)
LOCK_APPOINTMENT = text("SELECT status, slot_id, manage_generation FROM appointments WHERE id = :id FOR UPDATE")


@dataclass(frozen=True)
class Caller:
    """Who acts on an existing appointment: its account, or whoever holds its manage token."""

    account_id: uuid.UUID | None = None
    token: str | None = None


@dataclass(frozen=True)
class NewBooking:
    slot_id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    language: str
    account_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    birth_date: Any = None
    notify_email: bool = True
    notify_sms: bool = False
    holder_name: str | None = None
    sex: str | None = None  # F, M or X from the account; a booking without one has none
    identity_key: str | None = None  # NAM + birth date typed in a booking without an account, keyed digest

    @property
    def notify_channels(self) -> tuple[str, ...]:
        if self.account_id is None:  # booked without an account: the contact typed in is the preference
            return tuple(c for c, v in (("email", self.email), ("sms", self.phone)) if v)[:1] or ("email",)
        channels = tuple(c for c, on in (("email", self.notify_email), ("sms", self.notify_sms)) if on)
        return channels or ("email",)


def _place(row: Any) -> PlaceV1:
    return PlaceV1(
        establishment_id=row.establishment_id,
        name=row.name,
        address=row.address,
        city=row.city,
        postal_code=row.postal_code,
        timezone=row.timezone,
    )


def _service(row: Any) -> ServiceOfferedV1:
    return ServiceOfferedV1(service_id=row.service_id, name_fr=row.name_fr, name_en=row.name_en)


def _patient(row: Any) -> PatientContactV1:
    return PatientContactV1(first_name=row.first_name, last_name=row.last_name, email=row.email, phone=row.phone)


def _channels(row: Any) -> tuple[str, ...]:
    booking = NewBooking(
        slot_id=row.slot_id,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        phone=row.phone,
        language=row.language,
        account_id=row.account_id,
        notify_email=row.notify_email,
        notify_sms=row.notify_sms,
    )
    return booking.notify_channels


def _response(row: Any, **overrides: Any) -> AppointmentResponse:
    values = {
        "id": row.id,
        "slot_id": row.slot_id,
        "status": row.status,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "place": PlaceResponse(**_place(row).model_dump()),
        "service": ServiceResponse(**_service(row).model_dump()),
        "person_id": row.person_id,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "language": row.language,
        "confirmed": row.confirmed_at is not None,
    } | overrides
    return AppointmentResponse(**values)


appointment_response = _response  # for the history's listing, which extends the same response


def _constraint(exc: IntegrityError | asyncpg.IntegrityConstraintViolationError) -> str:
    source = exc.orig if isinstance(exc, IntegrityError) else exc
    return str(getattr(source, "constraint_name", "") or source)


NamDigest = Callable[[str | None, date | None], str | None]


def from_anonymous(request: BookAppointmentRequest, nam_digest: NamDigest | None = None) -> NewBooking:
    require_contact(request.email, request.phone)
    # Only the digest is kept: the NAM itself goes no further than this request.
    digest = nam_digest(request.nam, request.birth_date) if nam_digest else None
    return NewBooking(**request.model_dump(exclude={"nam"}), identity_key=digest)


def from_account(account_id: uuid.UUID, request: BookForPersonRequest) -> NewBooking:
    return NewBooking(account_id=account_id, **request.model_dump())


# Per process: a slot booked moments ago is booked again in one round trip (booking_statement.SlotDetailsCache).
SLOT_DETAILS = booking_statement.SlotDetailsCache()


def _booking_rows(
    booking: NewBooking,
    seat: booking_statement.SlotDetails,
    appointment_id: uuid.UUID,
    token: str,
    idempotency_key: str | None,
    fingerprint: str | None,
) -> tuple[dict[str, Any], EventEnvelope]:
    """The appointment row's values and its AppointmentBooked event, rendered for the slot's times."""
    event = AppointmentBooked(
        appointment_id=appointment_id,
        slot_id=booking.slot_id,
        account_id=booking.account_id,
        person_id=booking.person_id,
        starts_at=seat.starts_at,
        ends_at=seat.ends_at,
        place=_place(seat),
        service=_service(seat),
        patient=PatientContactV1(
            first_name=booking.first_name,
            last_name=booking.last_name,
            email=booking.email,
            phone=booking.phone,
        ),
        language=booking.language,  # type: ignore[arg-type]
        manage_token=token,
        notify_channels=booking.notify_channels,  # type: ignore[arg-type]
    )
    appointment = {
        **booking.__dict__,
        "person_key": domain.person_key(booking.person_id, booking.email, booking.phone),
        "idempotency_key": idempotency_key,
        "request_fingerprint": fingerprint,
    }
    return appointment, event.to_envelope(current_correlation_id())


@count_bookings
async def book_appointment(
    uow: UnitOfWork, secret: bytes, booking: NewBooking, idempotency_key: str | None = None
) -> tuple[BookedAppointmentResponse, bool]:
    """Books a seat; returns the appointment and whether it is a replay of an earlier request."""
    fingerprint = domain.request_fingerprint(booking.__dict__) if idempotency_key else None
    if idempotency_key:
        replay = await _replay(uow, secret, idempotency_key, fingerprint)
        if replay is not None:
            return replay, True
    appointment_id = new_id()
    token = domain.manage_token(secret, appointment_id)
    try:
        # The hot path: one or two round trips on a driver connection, no ORM, no session (booking_statement.py).
        async with booking_statement.booking_connection(uow.engine) as connection:
            seat, cached = await connection.slot_details(booking.slot_id, SLOT_DETAILS)
            while True:
                if seat is None:
                    raise domain.refusal_for(None, datetime.now(UTC))
                appointment, envelope = _booking_rows(
                    booking, seat, appointment_id, token, idempotency_key, fingerprint
                )
                if await connection.book(seat, appointment_id, appointment, envelope):
                    uow.events_committed()
                    break
                state = await connection.slot_state(booking.slot_id)
                if cached:
                    SLOT_DETAILS.forget(booking.slot_id)
                    if state is not None and (state["starts_at"], state["ends_at"]) != (seat.starts_at, seat.ends_at):
                        # Moved since it was cached: read afresh and book it at its new times.
                        seat, cached = await connection.slot_details(booking.slot_id, SLOT_DETAILS)
                        continue
                slot = domain.SlotState(state["starts_at"], state["capacity"], state["booked"]) if state else None
                raise domain.refusal_for(slot, datetime.now(UTC))
    except (IntegrityError, asyncpg.IntegrityConstraintViolationError) as exc:
        if "appointments_no_overlap" in _constraint(exc):
            raise domain.OVERLAPPING from None
        if idempotency_key and "appointments_idempotency" in _constraint(exc):
            replay = await _replay(uow, secret, idempotency_key, fingerprint)  # lost a race with the same key
            if replay is not None:
                return replay, True
        raise
    booked = BookedAppointmentResponse(
        id=appointment_id,
        slot_id=booking.slot_id,
        status=domain.BOOKED,
        starts_at=seat.starts_at,
        ends_at=seat.ends_at,
        place=PlaceResponse(**_place(seat).model_dump()),
        service=ServiceResponse(**_service(seat).model_dump()),
        person_id=booking.person_id,
        first_name=booking.first_name,
        last_name=booking.last_name,
        language=booking.language,
        manage_token=token,
    )
    return booked, False


async def _replay(
    uow: UnitOfWork, secret: bytes, key: str, fingerprint: str | None
) -> BookedAppointmentResponse | None:
    async with uow:
        row = (await uow.session.execute(APPOINTMENT_BY_KEY, {"key": key})).first()
    if row is None:
        return None
    if row.request_fingerprint != fingerprint:
        raise domain.IDEMPOTENCY_KEY_REUSED
    token = domain.manage_token(secret, row.id, row.manage_generation)
    return BookedAppointmentResponse(**_response(row).model_dump(), manage_token=token)


async def _authorized(uow: UnitOfWork, secret: bytes, appointment_id: uuid.UUID, caller: Caller) -> Any:
    """The appointment, if the caller may act on it; otherwise 404, so ids cannot be probed. A manage token
    must be the current generation's, on an appointment not cancelled, until a day after its start."""
    row = (await uow.session.execute(APPOINTMENT_BY_ID, {"id": appointment_id})).first()
    allowed = row is not None and (
        (caller.account_id is not None and row.account_id == caller.account_id)
        or (
            caller.token is not None
            and domain.token_matches(secret, appointment_id, caller.token, row.manage_generation)
            and domain.manage_link_valid(row.status, row.starts_at, datetime.now(UTC))
        )
    )
    if not allowed and row is not None and row.account_id is not None and caller.account_id is not None:
        # NAM-linked accounts are one citizen, and a shared child's parents are one family: each acts
        # on what the others booked.
        allowed = bool(
            (
                await uow.session.execute(
                    SAME_LINK_GROUP, {"caller": caller.account_id, "owner": row.account_id, "person": row.person_id}
                )
            ).scalar()
        )
    if not allowed:
        raise domain.APPOINTMENT_NOT_FOUND
    return row


async def get_appointment(uow: UnitOfWork, secret: bytes, appointment_id: uuid.UUID, caller: Caller) -> Any:
    async with uow:
        return await _authorized(uow, secret, appointment_id, caller)


async def cancel_appointment(
    uow: UnitOfWork, secret: bytes, appointment_id: uuid.UUID, caller: Caller
) -> AppointmentResponse:
    async with uow:
        row = await _authorized(uow, secret, appointment_id, caller)
        locked = (await uow.session.execute(LOCK_APPOINTMENT, {"id": appointment_id})).one()
        if locked.status not in domain.CANCELLABLE:
            raise domain.cannot_cancel(locked.status)
        await uow.session.execute(
            text("UPDATE appointments SET status = 'cancelled', cancelled_at = now() WHERE id = :id"),
            {"id": appointment_id},
        )
        await uow.session.execute(RELEASE_SEAT, {"slot_id": locked.slot_id})  # bookable again at once
        uow.publish(
            AppointmentCancelled(
                appointment_id=appointment_id,
                slot_id=row.slot_id,
                starts_at=row.starts_at,
                place=_place(row),
                service=_service(row),
                patient=_patient(row),
                language=row.language,
                notify_channels=_channels(row),  # type: ignore[arg-type]
            )
        )
        await uow.commit()
    return _response(row, status=domain.CANCELLED)


async def confirm_presence(
    uow: UnitOfWork, secret: bytes, appointment_id: uuid.UUID, caller: Caller
) -> AppointmentResponse:
    async with uow:
        row = await _authorized(uow, secret, appointment_id, caller)
        if row.status != domain.BOOKED:
            raise domain.cannot_cancel(row.status)
        await uow.session.execute(
            text("UPDATE appointments SET confirmed_at = coalesce(confirmed_at, now()) WHERE id = :id"),
            {"id": appointment_id},
        )
        await uow.commit()
    return _response(row, confirmed=True)


async def reschedule_appointment(
    uow: UnitOfWork, secret: bytes, appointment_id: uuid.UUID, new_slot_id: uuid.UUID, caller: Caller
) -> AppointmentResponse:
    return (await _reschedule(uow, secret, appointment_id, new_slot_id, caller))[0]


async def reschedule_with_link(
    uow: UnitOfWork, secret: bytes, appointment_id: uuid.UUID, new_slot_id: uuid.UUID, token: str
) -> BookedAppointmentResponse:
    """Whoever moves a booking with its link gets the link that works now (the old one stopped) at once, as
    well as by message: the message may be late, or held back by the per-address limits."""
    moved, generation = await _reschedule(uow, secret, appointment_id, new_slot_id, Caller(token=token))
    return BookedAppointmentResponse(
        **moved.model_dump(), manage_token=domain.manage_token(secret, appointment_id, generation)
    )


async def _reschedule(
    uow: UnitOfWork, secret: bytes, appointment_id: uuid.UUID, new_slot_id: uuid.UUID, caller: Caller
) -> tuple[AppointmentResponse, int]:
    """Claims the new seat and frees the old one in one transaction: never zero seats, never two. Returns the
    appointment and its manage-link generation now."""
    try:
        async with uow:
            row = await _authorized(uow, secret, appointment_id, caller)
            locked = (await uow.session.execute(LOCK_APPOINTMENT, {"id": appointment_id})).one()
            if caller.token is not None and locked.manage_generation != row.manage_generation:
                raise domain.APPOINTMENT_NOT_FOUND  # moved meanwhile with the same link: that token is spent
            if locked.status not in domain.MOVABLE:
                raise domain.cannot_move(locked.status)
            if new_slot_id == locked.slot_id:
                return _response(row), locked.manage_generation
            seat = (await uow.session.execute(CLAIM_SEAT, {"slot_id": new_slot_id})).first()
            if seat is None:
                state = (await uow.session.execute(SLOT_STATE, {"slot_id": new_slot_id})).first()
                raise domain.refusal_for(domain.SlotState(*state) if state else None, datetime.now(UTC))
            await uow.session.execute(RELEASE_SEAT, {"slot_id": locked.slot_id})
            await uow.session.execute(
                text(
                    "UPDATE appointments SET slot_id = :slot_id, during = tstzrange(:starts_at, :ends_at), "
                    "confirmed_at = NULL, manage_generation = :generation WHERE id = :id"
                ),
                {
                    "id": appointment_id,
                    "slot_id": new_slot_id,
                    "starts_at": seat.starts_at,
                    "ends_at": seat.ends_at,
                    # The link sent for the old time stops working; the reschedule notice carries the new one.
                    "generation": locked.manage_generation + 1,
                },
            )
            uow.publish(
                AppointmentRescheduled(
                    appointment_id=appointment_id,
                    old_slot_id=locked.slot_id,
                    old_starts_at=row.starts_at,
                    slot_id=new_slot_id,
                    starts_at=seat.starts_at,
                    ends_at=seat.ends_at,
                    place=_place(seat),
                    service=_service(seat),
                    patient=_patient(row),
                    language=row.language,
                    manage_token=domain.manage_token(secret, appointment_id, locked.manage_generation + 1),
                    notify_channels=_channels(row),  # type: ignore[arg-type]
                )
            )
            await uow.commit()
    except IntegrityError as exc:
        if "appointments_no_overlap" in _constraint(exc):
            raise domain.OVERLAPPING from None
        raise
    moved = _response(
        row,
        slot_id=new_slot_id,
        starts_at=seat.starts_at,
        ends_at=seat.ends_at,
        place=PlaceResponse(**_place(seat).model_dump()),
        service=ServiceResponse(**_service(seat).model_dump()),
        confirmed=False,
    )
    return moved, locked.manage_generation + 1


async def my_appointments(uow: UnitOfWork, account_id: uuid.UUID) -> MyAppointmentsResponse:
    async with uow:
        rows = (await uow.session.execute(APPOINTMENTS_OF_ACCOUNT, {"account_id": account_id})).all()
    now = datetime.now(UTC)
    upcoming = [_response(r) for r in rows if r.ends_at > now and r.status != domain.CANCELLED]
    past = [_response(r) for r in reversed(rows) if not (r.ends_at > now and r.status != domain.CANCELLED)]
    return MyAppointmentsResponse(upcoming=upcoming, past=past)


async def record_attendance(
    uow: UnitOfWork, establishment_id: uuid.UUID, appointment_id: uuid.UUID, wanted: str
) -> AppointmentResponse:
    """Front desk: arrived, no-show, fulfilled; only on the staff member's own establishment."""
    column = {domain.ARRIVED: "arrived_at", domain.NOSHOW: "noshow_at", domain.FULFILLED: None}[wanted]
    async with uow:
        row = (await uow.session.execute(APPOINTMENT_BY_ID, {"id": appointment_id})).first()
        if row is None or row.establishment_id != establishment_id:
            raise domain.APPOINTMENT_NOT_FOUND
        locked = (await uow.session.execute(LOCK_APPOINTMENT, {"id": appointment_id})).one()
        if locked.status not in domain.ATTENDANCE[wanted]:
            raise domain.wrong_attendance(locked.status, wanted)
        stamp = f", {column} = now()" if column else ""
        await uow.session.execute(
            text(f"UPDATE appointments SET status = :status{stamp} WHERE id = :id"),
            {"id": appointment_id, "status": wanted},
        )
        event_type = {domain.ARRIVED: PatientArrived, domain.NOSHOW: NoShowRecorded}.get(
            wanted, AppointmentCompletedEvent
        )
        uow.publish(event_type(appointment_id=appointment_id, establishment_id=establishment_id, at=datetime.now(UTC)))
        await uow.commit()
    return _response(row, status=wanted)


async def list_establishments(uow: UnitOfWork, limit: int, offset: int) -> list[EstablishmentResponse]:
    async with uow:
        rows = (
            await uow.session.execute(
                text("""
                SELECT e.id, e.name, e.address, e.city, e.postal_code, e.latitude, e.longitude,
                       coalesce(json_agg(json_build_object('service_id', sv.id, 'name_fr', sv.name_fr,
                                'name_en', sv.name_en)) FILTER (WHERE sv.id IS NOT NULL), '[]') AS services
                FROM establishments e LEFT JOIN services sv ON sv.establishment_id = e.id
                GROUP BY e.id ORDER BY e.name LIMIT :limit OFFSET :offset
                """),
                {"limit": limit, "offset": offset},
            )
        ).all()
    return [EstablishmentResponse.model_validate(row._asdict()) for row in rows]


async def list_free_slots(
    uow: UnitOfWork, service_id: uuid.UUID, date_from: datetime, date_to: datetime, limit: int
) -> list[SlotResponse]:
    async with uow:
        rows = (
            await uow.session.execute(
                text("""
                SELECT id, service_id, starts_at, ends_at, capacity - booked AS seats_left FROM slots
                WHERE service_id = :service_id AND starts_at >= greatest(:date_from, now()) AND starts_at < :date_to
                  AND booked < capacity
                ORDER BY starts_at LIMIT :limit
                """),
                {"service_id": service_id, "date_from": date_from, "date_to": date_to, "limit": limit},
            )
        ).all()
    return [SlotResponse.model_validate(row._asdict()) for row in rows]
