"""Booking rules, free of I/O."""

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import phonenumbers
from icalendar import Calendar, Event

from shared.nam import identity_key, nam_hmac
from shared.refusals import Refused

# FHIR R4 Appointment.status values this service uses.
BOOKED, CANCELLED, ARRIVED, FULFILLED, NOSHOW = "booked", "cancelled", "arrived", "fulfilled", "noshow"
CANCELLABLE = frozenset({BOOKED})
MOVABLE = frozenset({BOOKED})
CONFIRMABLE = frozenset({BOOKED})
# Who made a booking: the citizen on the web, or staff for a caller ("admin", as Clic Santé's FHIR guide tags it).
WEB, ADMIN = "web", "admin"


class AppointmentNotFound(Refused):
    """Also what a caller who may not act on the appointment is told, so ids cannot be probed."""


class UnknownSlot(Refused):
    pass


class SlotInPast(Refused):
    pass


class SlotFull(Refused):
    pass


class SlotUnavailable(Refused):
    pass


class IdempotencyKeyReused(Refused):
    pass


class OverlappingAppointment(Refused):
    pass


class NotCancellable(Refused):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class NotMovable(Refused):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class NotConfirmable(Refused):
    """Presence is confirmed only for an appointment still booked (not cancelled, not already seen)."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class TooLateToChange(Refused):
    """Past the clinic's cut-off a citizen may no longer cancel or move online: they call the clinic."""

    def __init__(self, hours: int, phone: str) -> None:
        super().__init__(hours, phone)
        self.hours = hours
        self.phone = phone


class TooLateToChangeNoPhone(TooLateToChange):
    """The same, at a clinic whose phone number was never given."""


class SlotElsewhere(Refused):
    """Staff booked or moved a caller to a slot of another establishment: not one of theirs."""


class NamWithoutBirthDate(Refused):
    """A NAM alone would never be matched: say so rather than keep it."""


class NamDigester:
    """The keyed HMAC of a NAM, derived from the accounts service's NAM key as accounts and verification do,
    so that one NAM gives one digest in all three services."""

    def __init__(self, nam_key: str) -> None:
        self._key = hashlib.sha256(b"nam-hmac:" + nam_key.encode()).digest()

    def digest(self, nam: str | None, birth_date: date | None) -> str | None:
        """The digest kept with a booking made without an account, which history matches (history/queries.py)."""
        if nam is None:
            return None
        if birth_date is None:
            raise NamWithoutBirthDate
        return identity_key(self._key, nam_hmac(self._key, nam), birth_date)


class TooManyBookings(Refused):
    """Bookings without an account from one client address, past the hour's limit."""

    def __init__(self, retry_after: timedelta) -> None:
        seconds = max(1, int(retry_after.total_seconds() + 0.999))
        super().__init__(seconds)
        self.retry_after = seconds
        self.minutes = max(1, round(seconds / 60))
        self.plural = "s" if self.minutes > 1 else ""


@dataclass(frozen=True)
class SlotState:
    starts_at: datetime
    capacity: int
    booked: int


def refusal_for(slot: SlotState | None, now: datetime) -> Refused:
    """Why a seat could not be claimed on this slot (called only after the claim failed)."""
    if slot is None:
        return UnknownSlot()
    if slot.starts_at <= now:
        return SlotInPast()
    if slot.booked >= slot.capacity:
        return SlotFull()
    return SlotUnavailable()


@dataclass(frozen=True)
class Caller:
    """Who acts on an existing appointment: its account, whoever holds its manage token, or staff of its
    establishment acting for a caller who booked without an account (no cut-off for them)."""

    account_id: uuid.UUID | None = None
    token: str | None = None
    staff_id: uuid.UUID | None = None
    establishment_id: uuid.UUID | None = None  # the staff member's, with staff_id


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
    birth_date: date | None = None
    notify_email: bool = True
    notify_sms: bool = False
    holder_name: str | None = None
    sex: str | None = None  # F, M or X from the account; a booking without one has none
    identity_key: str | None = None  # NAM + birth date typed in a booking without an account, keyed digest
    source: str = WEB
    booked_by_staff_id: uuid.UUID | None = None  # the clerk, when source is ADMIN

    @property
    def notify_channels(self) -> tuple[str, ...]:
        return notify_channels(self.account_id, self.email, self.phone, self.notify_email, self.notify_sms, self.source)


def notify_channels(
    account_id: uuid.UUID | None,
    email: str | None,
    phone: str | None,
    notify_email: bool,
    notify_sms: bool,
    source: str,
) -> tuple[str, ...]:
    """Where the patient's messages go."""
    if account_id is None and source == ADMIN and email and phone and notify_sms:
        return ("email", "sms")  # the clerk asked the caller, who wants both
    if account_id is None:  # booked without an account: the contact typed in is the preference
        return tuple(c for c, v in (("email", email), ("sms", phone)) if v)[:1] or ("email",)
    channels = tuple(c for c, on in (("email", notify_email), ("sms", notify_sms)) if on)
    return channels or ("email",)


def booking_fingerprint(booking: NewBooking) -> str:
    """What an Idempotency-Key was first used for. A web booking is fingerprinted as before the booking had a
    source, so that a key sent again across an upgrade still replays."""
    payload = dict(booking.__dict__)
    if booking.source == WEB:
        del payload["source"], payload["booked_by_staff_id"]
    return request_fingerprint(payload)


@dataclass(frozen=True)
class AppointmentDetails:
    """An appointment with its slot, service and place: what every view of one appointment starts from."""

    id: uuid.UUID
    slot_id: uuid.UUID
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    status: str
    first_name: str
    last_name: str
    birth_date: date | None
    holder_name: str | None
    sex: str | None
    email: str | None
    phone: str | None
    language: str
    notify_email: bool
    notify_sms: bool
    confirmed_at: datetime | None
    request_fingerprint: str | None
    manage_generation: int
    starts_at: datetime
    ends_at: datetime
    service_id: uuid.UUID
    name_fr: str
    name_en: str
    establishment_id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    timezone: str
    clinic_phone: str | None
    cancel_cutoff_hours: int
    instructions_fr: str | None
    instructions_en: str | None
    source: str
    booked_by_staff_id: uuid.UUID | None

    @property
    def notify_channels(self) -> tuple[str, ...]:
        return notify_channels(self.account_id, self.email, self.phone, self.notify_email, self.notify_sms, self.source)


@dataclass(frozen=True)
class LockedAppointment:
    status: str
    slot_id: uuid.UUID
    manage_generation: int


def changeable_until(status: str, starts_at: datetime, cutoff_hours: int) -> datetime | None:
    """Until when a citizen may cancel or move the appointment online; None once its state allows neither.
    A cut-off of 0 is the start itself (and, as before clinics had cut-offs, enforced by nothing more)."""
    if status not in CANCELLABLE:
        return None
    return starts_at - timedelta(hours=cutoff_hours)


def require_changeable(starts_at: datetime, cutoff_hours: int, clinic_phone: str | None, now: datetime) -> None:
    """Past the clinic's cut-off a citizen calls the clinic instead (staff are not held to it)."""
    if cutoff_hours > 0 and now > starts_at - timedelta(hours=cutoff_hours):
        if clinic_phone is None:
            raise TooLateToChangeNoPhone(cutoff_hours, "")
        raise TooLateToChange(cutoff_hours, phone_for_display(clinic_phone))


def phone_for_display(phone: str) -> str:
    """+15145550100 → (514) 555-0100, as people dial it here; what does not parse is shown as stored."""
    try:
        number = phonenumbers.parse(phone, "CA")
    except phonenumbers.NumberParseException:
        return phone
    if not phonenumbers.is_possible_number(number):
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


# A manage link works until a day after the appointment's start: long enough to download the .ics or read the
# outcome afterwards, not forever.
MANAGE_LINK_LIFETIME_AFTER_START = timedelta(days=1)
# States in which a manage link no longer acts on the appointment: cancelled, it is over.
LINK_ENDED = frozenset({CANCELLED})


def manage_token(secret: bytes, appointment_id: uuid.UUID, generation: int = 0) -> str:
    """The capability in confirmation links: derived, so an idempotent replay can show it again. Each
    reschedule moves the appointment to its next generation, whose token differs (generation 0 is the one
    every booking is first sent)."""
    message = b"manage:" + appointment_id.bytes + (generation.to_bytes(4, "big") if generation else b"")
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def token_matches(secret: bytes, appointment_id: uuid.UUID, token: str, generation: int = 0) -> bool:
    # As bytes: compare_digest refuses a str with anything but ASCII, and a link's token is whatever was sent.
    expected = manage_token(secret, appointment_id, generation).encode()
    return hmac.compare_digest(expected, token.encode("utf-8", "surrogatepass"))


def manage_link_valid(status: str, starts_at: datetime, now: datetime) -> bool:
    """A manage token acts only on a live appointment, and only until a day after its start."""
    return status not in LINK_ENDED and now <= starts_at + MANAGE_LINK_LIFETIME_AFTER_START


def person_key(person_id: uuid.UUID | None, email: str | None, phone: str | None) -> str:
    """Who the patient is for the no-overlap rule."""
    if person_id is not None:
        return f"person:{person_id}"
    return f"email:{email.lower()}" if email else f"phone:{phone}"


def request_fingerprint(payload: dict[str, object]) -> str:
    """Identifies what an Idempotency-Key was first used for."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def source_hmac(secret: bytes, source: str) -> str:
    """A booking source (client address limit key) as kept in booking_sources: keyed, never the address."""
    return hmac.new(secret, b"booking-source:" + source.encode(), hashlib.sha256).hexdigest()


def appointment_ics(row: AppointmentDetails, language: str) -> bytes:
    """An appointment as an iCalendar (.ics) file, so citizens can add it to their calendar."""
    service = row.name_fr if language == "fr" else row.name_en
    calendar = Calendar()
    calendar.add("prodid", "-//Rendez-vous sante//appointments//FR")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{row.id}@rendezvous-sante")
    # Required by RFC 5545 (3.6.1); without a METHOD it is when this file was made. Calendars use it to tell a
    # newer copy of the event (a rescheduled time) from the one they hold.
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", row.starts_at)
    event.add("dtend", row.ends_at)
    event.add("summary", f"{service} — {row.name}")
    event.add("location", f"{row.name}, {row.address}, {row.city} {row.postal_code}")
    event.add("status", "CANCELLED" if row.status == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
