"""Use cases of booking: book, cancel, confirm, reschedule, read. Each one owns its unit of work's commit."""

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from services.appointments.booking import queries, rules
from services.appointments.booking.queries import SlotDetails
from services.appointments.booking.rules import AppointmentDetails, Caller, NewBooking
from services.appointments.booking.schemas import (
    AppointmentResponse,
    BookAppointmentRequest,
    BookedAppointmentResponse,
    BookForCallerRequest,
    BookForPersonRequest,
    CallerBookingResponse,
    MyAppointmentsResponse,
    PlaceResponse,
    ServiceResponse,
)
from services.appointments.settings import AppointmentsSettings
from shared.client_address import UNATTRIBUTED, limit_key
from shared.contact import require_contact
from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    PatientContactV1,
    PlaceV1,
    ServiceOfferedV1,
)
from shared.ids import new_id
from shared.logging import current_correlation_id
from shared.messages import EventEnvelope
from shared.staff import Staff
from shared.unit_of_work import UnitOfWork


def place_of(row: SlotDetails | AppointmentDetails) -> PlaceV1:
    return PlaceV1(
        establishment_id=row.establishment_id,
        name=row.name,
        address=row.address,
        city=row.city,
        postal_code=row.postal_code,
        timezone=row.timezone,
    )


def service_of(row: SlotDetails | AppointmentDetails) -> ServiceOfferedV1:
    return ServiceOfferedV1(
        service_id=row.service_id,
        name_fr=row.name_fr,
        name_en=row.name_en,
        instructions_fr=row.instructions_fr,
        instructions_en=row.instructions_en,
    )


def _clinic_rules(status: str, starts_at: datetime, row: SlotDetails | AppointmentDetails) -> dict[str, object]:
    """The clinic's rules and instructions as every answer about one appointment shows them."""
    return {
        "cancel_cutoff_hours": row.cancel_cutoff_hours,
        "changeable_until": rules.changeable_until(status, starts_at, row.cancel_cutoff_hours),
        "clinic_phone": row.clinic_phone,
        "instructions_fr": row.instructions_fr,
        "instructions_en": row.instructions_en,
    }


def _patient(row: AppointmentDetails) -> PatientContactV1:
    return PatientContactV1(first_name=row.first_name, last_name=row.last_name, email=row.email, phone=row.phone)


def appointment_response(row: AppointmentDetails, **overrides: object) -> AppointmentResponse:
    """The appointment as every answer shows it (history and the front desk extend the same response)."""
    status = str(overrides.get("status", row.status))
    values: dict[str, object] = {
        "id": row.id,
        "slot_id": row.slot_id,
        "status": row.status,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "place": PlaceResponse(**place_of(row).model_dump()),
        "service": ServiceResponse(**service_of(row).model_dump()),
        "person_id": row.person_id,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "language": row.language,
        "confirmed": row.confirmed_at is not None,
        **_clinic_rules(status, row.starts_at, row),
    } | overrides
    return AppointmentResponse.model_validate(values)


NamDigest = Callable[[str | None, date | None], str | None]


def from_anonymous(request: BookAppointmentRequest, nam_digest: NamDigest | None = None) -> NewBooking:
    require_contact(request.email, request.phone)
    # Only the digest is kept: the NAM itself goes no further than this request.
    digest = nam_digest(request.nam, request.birth_date) if nam_digest else None
    return NewBooking(**request.model_dump(exclude={"nam"}), identity_key=digest)


def from_account(account_id: uuid.UUID, request: BookForPersonRequest) -> NewBooking:
    return NewBooking(account_id=account_id, **request.model_dump())


def from_caller(staff: Staff, request: BookForCallerRequest, nam_digest: NamDigest) -> NewBooking:
    """A booking without an account that staff make for a caller: the clerk is kept with it."""
    require_contact(request.email, request.phone)
    digest = nam_digest(request.nam, request.birth_date)
    return NewBooking(
        **request.model_dump(exclude={"nam", "idempotency_key"}),
        identity_key=digest,
        source=rules.ADMIN,
        booked_by_staff_id=staff.id,
    )


@lru_cache(maxsize=4)
def _unlimited(listed: frozenset[str]) -> frozenset[str]:
    """The limit keys of the listed addresses (an IPv6 one frees its /64). One that does not read as an address
    frees nothing: it must not free the bucket of requests without an address."""
    return frozenset(key for key in map(limit_key, listed) if key != UNATTRIBUTED)


def source_limited(settings: AppointmentsSettings, source: str) -> bool:
    """Whether what a client address (limit key) does without an account is limited: not when the limits are off
    (anonymous_bookings_per_source_per_hour 0) nor for an address listed as never limited (a load generator)."""
    return settings.anonymous_bookings_per_source_per_hour != 0 and source not in _unlimited(
        settings.unlimited_booking_sources
    )


async def admit_booking_source(uow: UnitOfWork, settings: AppointmentsSettings, source: str) -> None:
    """Bookings without an account, counted per client address (issue 18, finding 6).

    A booking without an account sends its confirmation, then its cancellation notice, to whatever address the
    booker typed: unlimited, a book-and-cancel loop was a mailing service (notifications also limit what one
    destination receives). One client address may make `anonymous_bookings_per_source_per_hour` of them in a
    clock hour; past that a 429 with Retry-After. Attempts count, refused or not: a loop gains nothing by
    failing. The source is the limit key of the address the gateway saw (shared/client_address.py: an IPv6
    client's /64, and one shared bucket for a request without a readable address, which once went uncounted),
    kept as a keyed HMAC. Raises TooManyBookings past the limit."""
    limit = settings.anonymous_bookings_per_source_per_hour
    if not source_limited(settings, source):
        return
    secret = settings.secret_key.get_secret_value().encode()
    counted = await queries.count_booking_source(uow, rules.source_hmac(secret, source))
    if counted.bookings > limit:
        raise rules.TooManyBookings(timedelta(seconds=counted.seconds_left))


# How often past hours' counts are forgotten: the table holds the current hour and, for a few minutes after the
# hour turns, the last one; an address's digest is kept an hour and five minutes at most.
FORGET_SOURCES_EVERY_SECONDS = 300.0


async def forget_past_booking_sources(uow: UnitOfWork) -> int:
    """Forgets the counts of hours before the current one (no limit reads them); run every
    FORGET_SOURCES_EVERY_SECONDS (main.py)."""
    async with uow:
        forgotten = await queries.forget_past_sources(uow)
        await uow.commit()
    return forgotten


# Per process: a slot booked moments ago is booked again in one round trip (queries.SlotDetailsCache).
SLOT_DETAILS = queries.SlotDetailsCache()


def booking_rows(
    booking: NewBooking,
    seat: SlotDetails,
    appointment_id: uuid.UUID,
    token: str,
    idempotency_key: str | None,
    fingerprint: str | None,
) -> tuple[dict[str, object], EventEnvelope]:
    """The appointment row's values and its AppointmentBooked event, rendered for the slot's times."""
    event = booked_event(booking, seat, appointment_id, token)
    return appointment_values(booking, idempotency_key, fingerprint), event.to_envelope(current_correlation_id())


def appointment_values(booking: NewBooking, idempotency_key: str | None, fingerprint: str | None) -> dict[str, object]:
    """The appointment row's values (queries.APPOINTMENT_COLUMNS and the slot's id)."""
    return {
        **booking.__dict__,
        "person_key": rules.person_key(booking.person_id, booking.email, booking.phone),
        "idempotency_key": idempotency_key,
        "request_fingerprint": fingerprint,
    }


def booked_event(booking: NewBooking, seat: SlotDetails, appointment_id: uuid.UUID, token: str) -> AppointmentBooked:
    """AppointmentBooked as every booking publishes it (the confirmation is sent from it)."""
    return AppointmentBooked(
        appointment_id=appointment_id,
        slot_id=booking.slot_id,
        account_id=booking.account_id,
        person_id=booking.person_id,
        starts_at=seat.starts_at,
        ends_at=seat.ends_at,
        place=place_of(seat),
        service=service_of(seat),
        patient=PatientContactV1(
            first_name=booking.first_name,
            last_name=booking.last_name,
            email=booking.email,
            phone=booking.phone,
        ),
        language=booking.language,
        manage_token=token,
        notify_channels=booking.notify_channels,
        source=booking.source,
        booked_by_staff_id=booking.booked_by_staff_id,
    )


async def book_appointment(
    uow: UnitOfWork,
    secret: bytes,
    booking: NewBooking,
    idempotency_key: str | None = None,
    establishment_id: uuid.UUID | None = None,
) -> tuple[BookedAppointmentResponse, bool]:
    """Books a seat (of `establishment_id`'s, when given: staff book at their own only); returns the appointment
    and whether it is a replay of an earlier request."""
    fingerprint = rules.booking_fingerprint(booking) if idempotency_key else None
    if idempotency_key:
        replay = await replayed_booking(uow, secret, idempotency_key, fingerprint)
        if replay is not None:
            return replay, True
    appointment_id = new_id()
    token = rules.manage_token(secret, appointment_id)
    try:
        # The hot path: one or two round trips on a driver connection, no ORM, no session (queries.BOOK).
        async with queries.booking_connection(uow) as connection:
            seat, cached = await connection.slot_details(booking.slot_id, SLOT_DETAILS)
            while True:
                if seat is None:
                    raise rules.refusal_for(None, datetime.now(UTC))
                if establishment_id is not None and seat.establishment_id != establishment_id:
                    raise rules.SlotElsewhere
                appointment, envelope = booking_rows(booking, seat, appointment_id, token, idempotency_key, fingerprint)
                if await connection.book(seat, appointment_id, appointment, envelope):
                    connection.events_written()
                    break
                state = await connection.slot_state(booking.slot_id)
                if cached:
                    SLOT_DETAILS.forget(booking.slot_id)
                    if state is not None and (state.starts_at, state.ends_at) != (seat.starts_at, seat.ends_at):
                        # Moved since it was cached: read afresh and book it at its new times.
                        seat, cached = await connection.slot_details(booking.slot_id, SLOT_DETAILS)
                        continue
                slot = rules.SlotState(state.starts_at, state.capacity, state.booked) if state else None
                raise rules.refusal_for(slot, datetime.now(UTC))
    except queries.INTEGRITY_ERRORS as exc:
        if "appointments_no_overlap" in queries.violated_constraint(exc):
            raise rules.OverlappingAppointment from None
        if idempotency_key and "appointments_idempotency" in queries.violated_constraint(exc):
            replay = await replayed_booking(uow, secret, idempotency_key, fingerprint)  # lost a race with the same key
            if replay is not None:
                return replay, True
        raise
    return booked_answer(booking, seat, appointment_id, token), False


def booked_answer(
    booking: NewBooking, seat: SlotDetails, appointment_id: uuid.UUID, token: str
) -> BookedAppointmentResponse:
    """What a booking answers once its seat is taken (also an accepted waitlist offer's answer)."""
    return BookedAppointmentResponse(
        id=appointment_id,
        slot_id=booking.slot_id,
        status=rules.BOOKED,
        starts_at=seat.starts_at,
        ends_at=seat.ends_at,
        place=PlaceResponse(**place_of(seat).model_dump()),
        service=ServiceResponse(**service_of(seat).model_dump()),
        person_id=booking.person_id,
        first_name=booking.first_name,
        last_name=booking.last_name,
        language=booking.language,
        manage_token=token,
        **_clinic_rules(rules.BOOKED, seat.starts_at, seat),
    )


async def replayed_booking(
    uow: UnitOfWork, secret: bytes, key: str, fingerprint: str | None
) -> BookedAppointmentResponse | None:
    async with uow:
        row = await queries.appointment_by_key(uow.session, key)
    if row is None:
        return None
    if row.request_fingerprint != fingerprint:
        raise rules.IdempotencyKeyReused
    token = rules.manage_token(secret, row.id, row.manage_generation)
    return BookedAppointmentResponse(**appointment_response(row).model_dump(), manage_token=token)


async def _authorized(uow: UnitOfWork, secret: bytes, appointment_id: uuid.UUID, caller: Caller) -> AppointmentDetails:
    """The appointment, if the caller may act on it; otherwise 404, so ids cannot be probed. A manage token
    must be the current generation's, on an appointment not cancelled, until a day after its start."""
    row = await queries.appointment_by_id(uow.session, appointment_id)
    if row is None:
        raise rules.AppointmentNotFound
    allowed = (
        (caller.account_id is not None and row.account_id == caller.account_id)
        or (
            caller.token is not None
            and rules.token_matches(secret, appointment_id, caller.token, row.manage_generation)
            and rules.manage_link_valid(row.status, row.starts_at, datetime.now(UTC))
        )
        # Staff act for callers only: a booking made from an account is its holder's to change.
        or (caller.staff_id is not None and row.establishment_id == caller.establishment_id and row.account_id is None)
    )
    if not allowed and row.account_id is not None and caller.account_id is not None:
        # NAM-linked accounts are one citizen, and a shared child's parents are one family: each acts
        # on what the others booked.
        allowed = await queries.same_link_group(uow.session, caller.account_id, row.account_id, row.person_id)
    if not allowed:
        raise rules.AppointmentNotFound
    return row


async def get_appointment(
    uow: UnitOfWork, secret: bytes, appointment_id: uuid.UUID, caller: Caller
) -> AppointmentDetails:
    async with uow:
        return await _authorized(uow, secret, appointment_id, caller)


async def cancel_appointment(
    uow: UnitOfWork, secret: bytes, appointment_id: uuid.UUID, caller: Caller
) -> AppointmentResponse:
    async with uow:
        row = await _authorized(uow, secret, appointment_id, caller)
        locked = await queries.lock_appointment(uow.session, appointment_id)
        if locked.status not in rules.CANCELLABLE:
            raise rules.NotCancellable(locked.status)
        if caller.staff_id is None:
            rules.require_changeable(row.starts_at, row.cancel_cutoff_hours, row.clinic_phone, datetime.now(UTC))
        await queries.cancel_appointment(uow.session, appointment_id)
        await queries.release_seat(uow.session, locked.slot_id)  # bookable again at once
        uow.publish(
            AppointmentCancelled(
                appointment_id=appointment_id,
                slot_id=row.slot_id,
                starts_at=row.starts_at,
                place=place_of(row),
                service=service_of(row),
                patient=_patient(row),
                language=row.language,
                notify_channels=row.notify_channels,
                cancelled_by="patient" if caller.staff_id is None else "staff",
                staff_id=caller.staff_id,
            )
        )
        await uow.commit()
    return appointment_response(row, status=rules.CANCELLED)


async def confirm_presence(
    uow: UnitOfWork, secret: bytes, appointment_id: uuid.UUID, caller: Caller
) -> AppointmentResponse:
    async with uow:
        row = await _authorized(uow, secret, appointment_id, caller)
        if row.status not in rules.CONFIRMABLE:
            raise rules.NotConfirmable(row.status)
        await queries.confirm_presence(uow.session, appointment_id)
        await uow.commit()
    return appointment_response(row, confirmed=True)


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
        **moved.model_dump(), manage_token=rules.manage_token(secret, appointment_id, generation)
    )


async def _reschedule(
    uow: UnitOfWork, secret: bytes, appointment_id: uuid.UUID, new_slot_id: uuid.UUID, caller: Caller
) -> tuple[AppointmentResponse, int]:
    """Claims the new seat and frees the old one in one transaction: never zero seats, never two. Returns the
    appointment and its manage-link generation now."""
    try:
        async with uow:
            row = await _authorized(uow, secret, appointment_id, caller)
            locked = await queries.lock_appointment(uow.session, appointment_id)
            if caller.token is not None and locked.manage_generation != row.manage_generation:
                raise rules.AppointmentNotFound  # moved meanwhile with the same link: that token is spent
            if locked.status not in rules.MOVABLE:
                raise rules.NotMovable(locked.status)
            if caller.staff_id is None:
                rules.require_changeable(row.starts_at, row.cancel_cutoff_hours, row.clinic_phone, datetime.now(UTC))
            if new_slot_id == locked.slot_id:
                return appointment_response(row), locked.manage_generation
            seat = await queries.claim_seat(uow.session, new_slot_id)
            if seat is None:
                raise rules.refusal_for(await queries.slot_state(uow.session, new_slot_id), datetime.now(UTC))
            if caller.staff_id is not None and seat.establishment_id != caller.establishment_id:
                raise rules.SlotElsewhere  # the claim is rolled back with the unit of work
            await queries.release_seat(uow.session, locked.slot_id)
            # The link sent for the old time stops working; the reschedule notice carries the new one.
            await queries.move_appointment(uow.session, appointment_id, seat, new_slot_id, locked.manage_generation + 1)
            uow.publish(
                AppointmentRescheduled(
                    appointment_id=appointment_id,
                    old_slot_id=locked.slot_id,
                    old_starts_at=row.starts_at,
                    slot_id=new_slot_id,
                    starts_at=seat.starts_at,
                    ends_at=seat.ends_at,
                    place=place_of(seat),
                    service=service_of(seat),
                    patient=_patient(row),
                    language=row.language,
                    manage_token=rules.manage_token(secret, appointment_id, locked.manage_generation + 1),
                    notify_channels=row.notify_channels,
                    staff_id=caller.staff_id,
                )
            )
            await uow.commit()
    except queries.INTEGRITY_ERRORS as exc:
        if "appointments_no_overlap" in queries.violated_constraint(exc):
            raise rules.OverlappingAppointment from None
        raise
    moved = appointment_response(
        row,
        slot_id=new_slot_id,
        starts_at=seat.starts_at,
        ends_at=seat.ends_at,
        place=PlaceResponse(**place_of(seat).model_dump()),
        service=ServiceResponse(**service_of(seat).model_dump()),
        confirmed=False,
        **_clinic_rules(rules.BOOKED, seat.starts_at, seat),
    )
    return moved, locked.manage_generation + 1


async def my_appointments(uow: UnitOfWork, account_id: uuid.UUID) -> MyAppointmentsResponse:
    async with uow:
        rows = await queries.appointments_of_account(uow.session, account_id)
    now = datetime.now(UTC)
    upcoming = [appointment_response(r) for r in rows if r.ends_at > now and r.status != rules.CANCELLED]
    past = [appointment_response(r) for r in reversed(rows) if not (r.ends_at > now and r.status != rules.CANCELLED)]
    return MyAppointmentsResponse(upcoming=upcoming, past=past)


# --- staff booking for a caller (the "planificateur"): clerk or manager of the establishment ---


async def book_for_caller(
    uow: UnitOfWork,
    secret: bytes,
    staff: Staff,
    establishment_id: uuid.UUID,
    request: BookForCallerRequest,
    nam_digest: NamDigest,
) -> tuple[CallerBookingResponse, bool]:
    """A booking without an account (grey in Suivi) at the staff member's establishment, made through the same
    statement as the citizens' and under the same rules (seats, overlap, idempotency), the clerk kept with it
    (source "admin"); the caller gets the usual confirmation and reminders. No per-address limit: the clerk is
    signed in. Returns the booking and whether it is a replay."""
    staff.authorise(establishment_id)
    booking = from_caller(staff, request, nam_digest)
    booked, replayed = await book_appointment(uow, secret, booking, request.idempotency_key, establishment_id)
    response = CallerBookingResponse(
        **booked.model_dump(exclude={"manage_token"}),
        service_name_fr=booked.service.name_fr,
        service_name_en=booked.service.name_en,
        source=rules.ADMIN,
        booked_by_staff_id=staff.id,
    )
    return response, replayed


def _staff_caller(staff: Staff, establishment_id: uuid.UUID) -> Caller:
    staff.authorise(establishment_id)
    return Caller(staff_id=staff.id, establishment_id=establishment_id)


async def cancel_for_caller(
    uow: UnitOfWork, secret: bytes, staff: Staff, establishment_id: uuid.UUID, appointment_id: uuid.UUID
) -> AppointmentResponse:
    """Staff cancel a booking made without an account at their establishment, whenever the caller asks (no
    cut-off); any other appointment is not found."""
    return await cancel_appointment(uow, secret, appointment_id, _staff_caller(staff, establishment_id))


async def reschedule_for_caller(
    uow: UnitOfWork,
    secret: bytes,
    staff: Staff,
    establishment_id: uuid.UUID,
    appointment_id: uuid.UUID,
    new_slot_id: uuid.UUID,
) -> AppointmentResponse:
    """Staff move a caller's booking to another slot of their establishment; the caller gets the new link."""
    caller = _staff_caller(staff, establishment_id)
    return (await _reschedule(uow, secret, appointment_id, new_slot_id, caller))[0]
