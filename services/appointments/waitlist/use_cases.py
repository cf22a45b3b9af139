"""Use cases of the waitlist: join, see, leave; an offer seen, accepted or declined; the clinic's lines; and
the offer matcher's three steps (offer a seat, expire an offer, end entries). Each owns its unit of work's
commit."""

import uuid
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from services.appointments.booking import queries as booking_queries
from services.appointments.booking import rules as booking_rules
from services.appointments.booking import use_cases as booking
from services.appointments.booking.rules import NewBooking
from services.appointments.booking.schemas import BookedAppointmentResponse, PlaceResponse, ServiceResponse
from services.appointments.catalogue.rules import ServiceNotFound
from services.appointments.settings import AppointmentsSettings
from services.appointments.waitlist import queries, rules
from services.appointments.waitlist.queries import EntryView, OfferView
from services.appointments.waitlist.schemas import (
    JoinedWaitlistResponse,
    JoinWaitlistForPersonRequest,
    JoinWaitlistRequest,
    MyWaitlistResponse,
    SetWaitlistRulesRequest,
    WaitlistEntryResponse,
    WaitlistLineResponse,
    WaitlistLinesResponse,
    WaitlistOfferResponse,
    WaitlistPersonResponse,
    WaitlistRulesResponse,
)
from shared.contracts.appointments import PatientContactV1, PlaceV1, ServiceOfferedV1, WaitlistSeatOffered
from shared.ids import new_id
from shared.staff import Staff
from shared.unit_of_work import UnitOfWork

# --- answers ---


def _service(view: EntryView) -> ServiceResponse:
    place = view.place
    return ServiceResponse(service_id=place.service_id, name_fr=place.name_fr, name_en=place.name_en)


def _place(view: EntryView) -> PlaceResponse:
    place = view.place
    return PlaceResponse(
        establishment_id=place.establishment_id,
        name=place.name,
        address=place.address,
        city=place.city,
        postal_code=place.postal_code,
        timezone=place.timezone,
    )


def offer_response(offer: OfferView, view: EntryView, token: str | None = None) -> WaitlistOfferResponse:
    return WaitlistOfferResponse(
        id=offer.id,
        status=offer.status,
        starts_at=offer.starts_at,
        ends_at=offer.ends_at,
        expires_at=offer.expires_at,
        service=_service(view),
        place=_place(view),
        person=WaitlistPersonResponse(first_name=view.first_name, last_name=view.last_name),
        appointment_id=offer.appointment_id,
        token=token,
    )


def entry_response(view: EntryView, secret: bytes | None = None) -> WaitlistEntryResponse:
    """`secret`: for the account's own list, whose open offer carries its link's token."""
    offer = view.offer
    token = rules.link_token(secret, "offer", offer.id) if offer is not None and secret is not None else None
    return WaitlistEntryResponse(
        id=view.id,
        status=view.status,
        service=_service(view),
        place=_place(view),
        person=WaitlistPersonResponse(person_id=view.person_id, first_name=view.first_name, last_name=view.last_name),
        from_date=view.from_date,
        to_date=view.to_date,
        times_of_day=view.times_of_day,
        joined_at=view.joined_at,
        position=view.position,
        offer=offer_response(offer, view, token) if offer is not None else None,
        hold_minutes=view.place.hold_minutes,
        ended_reason=view.ended_reason,
    )


# --- joining ---


async def join_for_person(
    uow: UnitOfWork, account_id: uuid.UUID, request: JoinWaitlistForPersonRequest, idempotency_key: str | None
) -> tuple[WaitlistEntryResponse, bool]:
    """The account's holder or a dependant (details composed by the gateway from the account) joins a line.
    Returns the entry and whether it is a replay of an earlier request."""
    person = request.model_dump(exclude={"establishment_id", "service_id", "from_date", "to_date", "times_of_day"})
    values = {"account_id": account_id, **person}
    view, replayed = await _join(uow, request, values, idempotency_key)
    return entry_response(view), replayed


async def join_without_account(
    uow: UnitOfWork,
    settings: AppointmentsSettings,
    source: str,
    request: JoinWaitlistRequest,
    idempotency_key: str | None,
) -> tuple[JoinedWaitlistResponse, bool]:
    """Somebody without an account joins a line: counted against the client address's limit of bookings without
    an account (each sends messages to an address nobody proved). Nobody proved who they are either, so each
    destination (e-mail whatever its +tag, mobile) waits once per line, and one client address holds at most
    rules.MAX_LIVE_ENTRIES_PER_SOURCE live entries: one client cannot put a fake person at the head of every line.
    The answer carries the entry's link token."""
    rules.require_contact(request.email, request.phone)
    await booking.admit_booking_source(uow, settings, source)
    secret = settings.secret_key.get_secret_value().encode()
    person = request.model_dump(exclude={"establishment_id", "service_id", "from_date", "to_date", "times_of_day"})
    values: dict[str, object] = {
        "account_id": None,
        "person_id": None,
        "sex": None,
        "holder_name": None,
        **person,
        "email_key": rules.email_key(request.email),
        "phone_key": request.phone,  # E.164 already (shared.contact.Phone)
        # Counted as the anonymous bookings are (booking.use_cases.source_limited): not a load generator's address.
        "source_hmac": booking_rules.source_hmac(secret, source) if booking.source_limited(settings, source) else None,
    }
    view, replayed = await _join(uow, request, values, idempotency_key, secret)
    token = rules.link_token(secret, "entry", view.id)
    return JoinedWaitlistResponse(entry=entry_response(view), token=token), replayed


async def _join(
    uow: UnitOfWork,
    wanted: JoinWaitlistRequest | JoinWaitlistForPersonRequest,
    person: dict[str, object],
    idempotency_key: str | None,
    secret: bytes | None = None,
) -> tuple[EntryView, bool]:
    """`secret`: joined without an account, the entry gets a link token (its hash kept)."""
    times = rules.check_times_of_day(wanted.times_of_day)
    fingerprint = booking_rules.request_fingerprint(wanted.model_dump()) if idempotency_key else None
    if idempotency_key:
        replay = await _replay(uow, idempotency_key, fingerprint)
        if replay is not None:
            return replay, True
    entry_id = new_id()
    person_id, email, phone = person.get("person_id"), person.get("email"), person.get("phone")
    values = {
        "id": entry_id,
        "service_id": wanted.service_id,
        **person,
        # Who the person is, as an appointment's overlap rule says it: one live entry per person and service.
        "person_key": booking_rules.person_key(
            person_id if isinstance(person_id, uuid.UUID) else None,
            email if isinstance(email, str) else None,
            phone if isinstance(phone, str) else None,
        ),
        "from_date": wanted.from_date,
        "to_date": wanted.to_date,
        "times_of_day": times,
        "token_hash": rules.token_hash(rules.link_token(secret, "entry", entry_id)) if secret else None,
        "idempotency_key": idempotency_key,
        "request_fingerprint": fingerprint,
    }
    try:
        async with uow:
            place = await queries.service_place(uow.session, wanted.establishment_id, wanted.service_id)
            if place is None:
                raise ServiceNotFound
            rules.check_dates(wanted.from_date, wanted.to_date, datetime.now(ZoneInfo(place.timezone)).date())
            source_hmac = person.get("source_hmac")
            if isinstance(source_hmac, str):
                rules.check_live_entries(await queries.live_entries_of_source(uow.session, source_hmac))
            await queries.insert_entry(uow.session, values)
            await queries.wake_matcher(uow.session)  # a seat may be free already
            view = await queries.entry_by_id(uow.session, entry_id)
            await uow.commit()
    except booking_queries.INTEGRITY_ERRORS as exc:
        constraint = booking_queries.violated_constraint(exc)
        if "waitlist_entries_one_live_per_person" in constraint:
            raise rules.AlreadyWaiting from None
        if "waitlist_entries_one_live_per_email_key" in constraint:
            raise rules.ContactAlreadyWaiting("email") from None
        if "waitlist_entries_one_live_per_phone_key" in constraint:
            raise rules.ContactAlreadyWaiting("phone") from None
        if idempotency_key and "waitlist_entries_idempotency" in constraint:
            replay = await _replay(uow, idempotency_key, fingerprint)  # lost a race with the same key
            if replay is not None:
                return replay, True
        raise
    assert view is not None  # inserted above, in this transaction
    return view, False


async def _replay(uow: UnitOfWork, key: str, fingerprint: str | None) -> EntryView | None:
    async with uow:
        view = await queries.entry_by_key(uow.session, key)
    if view is not None and view.request_fingerprint != fingerprint:
        raise booking_rules.IdempotencyKeyReused
    return view


# --- seeing and leaving ---


async def my_waitlist(uow: UnitOfWork, secret: bytes, account_id: uuid.UUID) -> MyWaitlistResponse:
    async with uow:
        entries = await queries.entries_of_account(uow.session, account_id)
    return MyWaitlistResponse(entries=[entry_response(view, secret) for view, _offers in entries])


async def entry_with_token(uow: UnitOfWork, entry_id: uuid.UUID, token: str) -> WaitlistEntryResponse:
    async with uow:
        view = await queries.entry_by_id(uow.session, entry_id)
    if view is None or not rules.token_matches(view.token_hash, token):
        raise rules.WaitlistEntryNotFound
    return entry_response(view)


async def leave_mine(uow: UnitOfWork, account_id: uuid.UUID, entry_id: uuid.UUID) -> WaitlistEntryResponse:
    return await _leave(uow, entry_id, lambda view: view.account_id == account_id)


async def leave_with_token(uow: UnitOfWork, entry_id: uuid.UUID, token: str) -> WaitlistEntryResponse:
    return await _leave(uow, entry_id, lambda view: rules.token_matches(view.token_hash, token))


async def _leave(uow: UnitOfWork, entry_id: uuid.UUID, allowed: Callable[[EntryView], bool]) -> WaitlistEntryResponse:
    """Off the line; an offer it holds is declined and its seat released. Leaving twice answers the same."""
    async with uow:
        view = await queries.entry_by_id(uow.session, entry_id)
        if view is None or not allowed(view):
            raise rules.WaitlistEntryNotFound
        status = await queries.lock_entry(uow.session, entry_id)
        if status in rules.LIVE:
            # Read after the entry's lock: an offer the matcher made meanwhile is committed and seen.
            offer_id = await queries.open_offer_of(uow.session, entry_id)
            if offer_id is not None:
                await _release(uow, offer_id, rules.DECLINED)
            await queries.set_entry_status(uow.session, entry_id, rules.LEFT)
        left = await queries.entry_by_id(uow.session, entry_id)
        await uow.commit()
    assert left is not None
    return entry_response(left)


async def _release(uow: UnitOfWork, offer_id: uuid.UUID, status: str) -> None:
    """Closes an open offer (its entry locked by the caller) and gives its seat back: the slots' trigger wakes
    the matchers, which offer it to the next person in line."""
    locked = await queries.lock_offer(uow.session, offer_id)
    # Declining an offer past its time, before the matcher expired it, gives the seat back all the same.
    rules.require_open(locked.status, past_expiry=False)
    await queries.close_offer(uow.session, offer_id, status)
    await booking_queries.release_seat(uow.session, locked.slot_id)


# --- offers, by their link's token ---


async def _offer_with_token(uow: UnitOfWork, offer_id: uuid.UUID, token: str) -> tuple[OfferView, EntryView]:
    async with uow:
        offer = await queries.offer_by_id(uow.session, offer_id)
        view = await queries.entry_by_id(uow.session, offer.entry_id) if offer is not None else None
    if offer is None or view is None or not rules.token_matches(offer.token_hash, token):
        raise rules.OfferNotFound
    return offer, view


async def offer_with_token(uow: UnitOfWork, offer_id: uuid.UUID, token: str) -> WaitlistOfferResponse:
    offer, view = await _offer_with_token(uow, offer_id, token)
    return offer_response(offer, view)


async def decline_offer(uow: UnitOfWork, offer_id: uuid.UUID, token: str) -> WaitlistOfferResponse:
    """The seat goes back (to the next person in line); the entry waits again, in its place."""
    _offer, view = await _offer_with_token(uow, offer_id, token)
    async with uow:
        await queries.lock_entry(uow.session, view.id)
        await _release(uow, offer_id, rules.DECLINED)
        await queries.back_in_line(uow.session, view.id)
        declined = await queries.offer_by_id(uow.session, offer_id)
        await uow.commit()
    assert declined is not None
    return offer_response(declined, view)


def _booking(view: EntryView, slot_id: uuid.UUID) -> NewBooking:
    """The booking an accepted offer makes: the entry's person, as a booking from the account (or without
    one) would have them."""
    return NewBooking(
        slot_id=slot_id,
        first_name=view.first_name,
        last_name=view.last_name,
        email=view.email,
        phone=view.phone,
        language=view.language,
        account_id=view.account_id,
        person_id=view.person_id,
        birth_date=view.birth_date,
        notify_email=view.notify_email,
        notify_sms=view.notify_sms,
        holder_name=view.holder_name,
        sex=view.sex,
    )


async def accept_offer(
    uow: UnitOfWork, secret: bytes, offer_id: uuid.UUID, token: str, idempotency_key: str | None
) -> tuple[BookedAppointmentResponse, bool]:
    """The held seat becomes an appointment, booked as any other (booking's overlap rule, idempotency key and
    AppointmentBooked, so the usual confirmation follows) but without a second increment: the matcher counted
    the seat when it held it. Returns the booking and whether it is a replay."""
    offer, view = await _offer_with_token(uow, offer_id, token)
    new_booking = _booking(view, offer.slot_id)
    fingerprint = booking_rules.booking_fingerprint(new_booking) if idempotency_key else None
    if idempotency_key:
        replay = await booking.replayed_booking(uow, secret, idempotency_key, fingerprint)
        if replay is not None:
            return replay, True
    appointment_id = new_id()
    manage_token = booking_rules.manage_token(secret, appointment_id)
    try:
        async with uow:
            await queries.lock_entry(uow.session, view.id)
            locked = await queries.lock_offer(uow.session, offer_id)
            rules.require_open(locked.status, locked.expired)
            seat = await queries.seat_details(uow.session, offer.slot_id)
            values = booking.appointment_values(new_booking, idempotency_key, fingerprint)
            await booking_queries.insert_on_held_seat(uow.session, appointment_id, seat, values)
            await queries.close_offer(uow.session, offer_id, rules.ACCEPTED, appointment_id)
            await queries.set_entry_status(uow.session, view.id, rules.BOOKED)
            uow.publish(booking.booked_event(new_booking, seat, appointment_id, manage_token))
            await uow.commit()
    except booking_queries.INTEGRITY_ERRORS as exc:
        constraint = booking_queries.violated_constraint(exc)
        if "appointments_no_overlap" in constraint:
            raise booking_rules.OverlappingAppointment from None
        if idempotency_key and "appointments_idempotency" in constraint:
            replay = await booking.replayed_booking(uow, secret, idempotency_key, fingerprint)
            if replay is not None:
                return replay, True
        raise
    return booking.booked_answer(new_booking, seat, appointment_id, manage_token), False


# --- the clinic ---


async def waitlist_lines(uow: UnitOfWork, staff: Staff, establishment_id: uuid.UUID) -> WaitlistLinesResponse:
    """Clerk or manager: how many wait, and hold an offer, per service of their establishment."""
    staff.authorise(establishment_id)
    async with uow:
        lines = await queries.line_lengths(uow.session, establishment_id)
        hold = await queries.hold_minutes(uow.session, establishment_id)
    return WaitlistLinesResponse(
        services=[WaitlistLineResponse(**vars(line), hold_minutes=hold) for line in lines], hold_minutes=hold
    )


async def set_waitlist_rules(
    uow: UnitOfWork, staff: Staff, establishment_id: uuid.UUID, request: SetWaitlistRulesRequest
) -> WaitlistRulesResponse:
    """Manager: how long a freed seat is held for the person it is offered to (offers made from now on)."""
    staff.authorise(establishment_id, manager_only=True)
    async with uow:
        await queries.set_hold_minutes(uow.session, establishment_id, request.hold_minutes)
        await uow.commit()
    return WaitlistRulesResponse(hold_minutes=request.hold_minutes)


# --- the offer matcher's steps (waitlist/matcher.py runs them) ---


async def offer_next_seat(uow: UnitOfWork, secret: bytes) -> uuid.UUID | None:
    """Holds one free seat for the first person in line it fits (queries.next_match) and tells them, in one
    transaction: the seat counted, the offer, the entry offered, WaitlistSeatOffered. None: nothing to offer."""
    async with uow:
        match = await queries.next_match(uow.session)
        if match is None or not await queries.hold_seat(uow.session, match.slot_id):
            return None
        offer_id = new_id()
        token = rules.link_token(secret, "offer", offer_id)
        expires_at = await queries.insert_offer(uow.session, offer_id, match, rules.token_hash(token))
        await queries.set_entry_status(uow.session, match.entry_id, rules.OFFERED)
        view = await queries.entry_by_id(uow.session, match.entry_id)
        seat = await queries.seat_details(uow.session, match.slot_id)
        assert view is not None  # locked by next_match
        uow.publish(
            WaitlistSeatOffered(
                offer_id=offer_id,
                entry_id=view.id,
                account_id=view.account_id,
                person_id=view.person_id,
                slot_id=match.slot_id,
                starts_at=seat.starts_at,
                ends_at=seat.ends_at,
                expires_at=expires_at,
                place=PlaceV1(**_place(view).model_dump()),
                service=ServiceOfferedV1(
                    service_id=seat.service_id,
                    name_fr=seat.name_fr,
                    name_en=seat.name_en,
                    instructions_fr=seat.instructions_fr,
                    instructions_en=seat.instructions_en,
                ),
                patient=PatientContactV1(
                    first_name=view.first_name, last_name=view.last_name, email=view.email, phone=view.phone
                ),
                language="en" if view.language == "en" else "fr",
                notify_channels=rules.notify_channels(
                    view.account_id, view.email, view.phone, view.notify_email, view.notify_sms
                ),
                offer_token=token,
            )
        )
        await uow.commit()
    return offer_id


async def expire_next_offer(uow: UnitOfWork) -> bool:
    """One open offer past its time: expired, its seat released (the matcher offers it to the next person),
    its entry back in line in its place, never offered that slot again; or, when that was the entry's
    rules.MAX_UNANSWERED_OFFERS-th offer left unanswered, the entry ends. False: none was due."""
    async with uow:
        due = await queries.due_offer(uow.session)
        if due is None:
            return False
        await queries.close_offer(uow.session, due.id, rules.EXPIRED)
        await booking_queries.release_seat(uow.session, due.slot_id)
        if rules.ends_after_expiry(await queries.expired_offers(uow.session, due.entry_id)):
            await queries.end_entry(uow.session, due.entry_id, rules.OFFERS_UNANSWERED)
        else:
            await queries.back_in_line(uow.session, due.entry_id)
        await uow.commit()
    return True


async def end_past_entries(uow: UnitOfWork) -> int:
    """Waiting entries whose last day has passed end; how many."""
    async with uow:
        ended = await queries.end_entries(uow.session)
        await uow.commit()
    return ended
