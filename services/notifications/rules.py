"""The notifications service's pure rules (no I/O): when a reminder may go out, which channels and
addresses a message goes to, the limits on messages to unproven addresses, what an appointment message
says, and what the delivery log keeps in place of what it must not.

When a reminder may go out: 08:00 to 21:00 at the place, never after the appointment.

Rules, in the place's time zone:
- a reminder due inside [08:00, 21:00) goes out when due;
- one due outside moves to the next 08:00 ...
- ... unless that is not before the appointment (e.g. a 07:00 blood test reminded 2 h ahead): then it
  moves *earlier*, to 20:30 the evening before the due time, the last half hour of the previous window
  (not 21:00 itself: a scheduler a few seconds late would then find itself outside the window);
- offsets are elapsed hours ("24 h before" a 10:00 appointment on the morning after a DST change is
  09:00 or 11:00 local the day before), and the window is applied to local wall-clock times, so a
  shift to 08:00 is 08:00 on the clock on the wall whatever the UTC offset that day.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Self, TypeVar
from zoneinfo import ZoneInfo

from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    Channel,
    PatientContactV1,
    ServiceOfferedV1,
)

EMAIL = "email"
SMS = "sms"

# Kinds of message, as the delivery log names them.
CONFIRMATION = "appointment_booked"
REMINDER = "appointment_reminder"
STAFF_INVITATION = "staff_invited"
WAITLIST_OFFER = "waitlist_seat_offered"

# The console's times (an invitation's expiry) are the platform's, Québec's: staff of every establishment read
# them alike.
PLATFORM_TIMEZONE = "America/Montreal"

# What the log keeps instead of an erased address, or of a body that must not be stored.
ERASED = "[erased]"
CODE_WITHHELD = "[code withheld]"
# An invitation's link is its secret (StaffInvited.invitation_token): sent inline, never kept.
LINK_WITHHELD = "[link withheld]"
# A message past its destination's limit (DestinationLimit): in the log so that it counts and shows, never
# sent, and without its body, which may hold a manage link.
SUPPRESSED = "suppressed"


Grouped = TypeVar("Grouped")


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str


OPENS = time(8, 0)
CLOSES = time(21, 0)
LAST_CALL = time(20, 30)


def in_window(moment: datetime, timezone: str) -> bool:
    local = moment.astimezone(ZoneInfo(timezone)).time()
    return OPENS <= local < CLOSES


def next_opening(moment: datetime, timezone: str) -> datetime:
    """The first 08:00 local strictly after `moment` (today's if still ahead, else tomorrow's)."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    day = local.date() if local.time() < OPENS else local.date() + timedelta(days=1)
    # Built from the wall-clock date, not by adding hours, so DST days come out right.
    return datetime.combine(day, OPENS, tzinfo=zone).astimezone(UTC)


def previous_last_call(moment: datetime, timezone: str) -> datetime:
    """The latest 20:30 local at or before `moment`."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    day = local.date() if local.time() >= LAST_CALL else local.date() - timedelta(days=1)
    return datetime.combine(day, LAST_CALL, tzinfo=zone).astimezone(UTC)


def send_time(due: datetime, starts_at: datetime, timezone: str) -> datetime:
    """Where a reminder due at `due` actually goes out (always inside the window, before `starts_at`
    when `due` is)."""
    if in_window(due, timezone):
        return due.astimezone(UTC)
    opening = next_opening(due, timezone)
    if opening < starts_at:
        return opening
    return previous_last_call(due, timezone)


def plan(starts_at: datetime, offsets_hours: Sequence[float], timezone: str, now: datetime) -> dict[int, datetime]:
    """Send times by offset (in minutes) for an appointment booked or moved at `now`.

    A reminder whose send time is already past is not created, rather than sent at once: the patient
    has just received the booking (or reschedule) notice, which says the same thing. Offsets that land
    on the same send time once moved into the window give one reminder, the longest offset's.
    """
    # In UTC: subtracting from a datetime carrying a ZoneInfo would count wall-clock hours, not elapsed ones.
    starts_at = starts_at.astimezone(UTC)
    planned: dict[int, datetime] = {}
    for hours in sorted(offsets_hours, reverse=True):
        minutes = round(hours * 60)
        at = send_time(starts_at - timedelta(minutes=minutes), starts_at, timezone)
        if at > now and at < starts_at and at not in planned.values():
            planned[minutes] = at
    return planned


@dataclass(frozen=True)
class SendNow:
    """The reminder goes out now, one delivery per channel."""


@dataclass(frozen=True)
class Postpone:
    """Outside the window: the reminder waits for the next opening, still before the appointment."""

    until: datetime


@dataclass(frozen=True)
class Skip:
    """Too late for this reminder: it never goes out."""

    reason: str


ReminderFate = SendNow | Postpone | Skip


def reminder_fate(now: datetime, starts_at: datetime, timezone: str) -> ReminderFate:
    """What a reminder claimed at `now` becomes: the window is checked again when it is due because the
    scheduler may run late (a restart, an outage)."""
    if starts_at <= now:
        return Skip("appointment_started")
    if not in_window(now, timezone):
        opening = next_opening(now, timezone)
        if opening >= starts_at:
            return Skip("no_window_left")
        return Postpone(opening)
    return SendNow()


# One reminder per destination and day (issue 22): the reminders of one offset whose appointments fall on the
# same day at their place and go to one destination (an e-mail address, whatever its case, or a mobile number)
# leave as one message listing them all, when the earliest of them is due. A holder who receives for their
# dependants gets one message a day per channel, not one per appointment.


def destination_key(channel: str, address: str) -> str:
    """How two reminders' addresses compare: e-mail addresses regardless of case, numbers as stored (E.164)."""
    return address.strip().lower() if channel == EMAIL else address.strip()


def by_destination(
    items: Sequence[Grouped], destinations_of: Callable[[Grouped], Mapping[Channel, str]]
) -> list[tuple[Channel, str, list[Grouped]]]:
    """(channel, address, items going there) for every destination of `items`, keeping their order; the
    address as the first item going there spells it."""
    groups: dict[tuple[Channel, str], tuple[str, list[Grouped]]] = {}
    for item in items:
        for channel, address in destinations_of(item).items():
            key = (channel, destination_key(channel, address))
            groups.setdefault(key, (address, []))[1].append(item)
    return [(channel, address, members) for (channel, _), (address, members) in groups.items()]


def reminder_group_id(reminder_ids: Iterable[uuid.UUID]) -> uuid.UUID:
    """The delivery log's event id of the message listing these reminders: the reminder's own id when alone (as
    before grouping), else derived from them all, so that one group written twice is refused by
    deliveries_once_per_event and its delivery id, hence its Message-ID, is the same every time."""
    ordered = sorted(set(reminder_ids))
    if len(ordered) == 1:
        return ordered[0]
    return uuid.uuid5(ordered[0], "reminders:" + ",".join(str(reminder_id) for reminder_id in ordered))


RelativeDay = Literal["today", "tomorrow", "later"]


def relative_day(day: date, now: datetime, timezone: str) -> RelativeDay:
    """How a message sent at `now` names `day`: today, tomorrow, or by its date."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    return "later"


def address_for(patient: PatientContactV1, channel: Channel) -> str | None:
    return patient.email if channel == "email" else patient.phone


def destinations(patient: PatientContactV1, notify_channels: Iterable[Channel]) -> dict[Channel, str]:
    """Every preferred channel the patient has an address for; failing that, whichever contact exists
    (email first): a patient who asked for SMS but gave no number still hears about the appointment."""
    chosen: dict[Channel, str] = {}
    for channel in notify_channels:
        address = address_for(patient, channel)
        if address and channel not in chosen:
            chosen[channel] = address
    if chosen:
        return chosen
    for channel in ("email", "sms"):
        address = address_for(patient, channel)
        if address:
            return {channel: address}
    return {}


# Limits on the messages anybody can make us send to an address nobody has proven (issue 18, finding 6).
#
# Two kinds go out at the request of whoever asks, to whatever address they type:
# - the notice that someone tried to register with an address that has an account (one per attempt);
# - the confirmation, cancellation and reschedule notices of a booking made without an account.
# Unlimited, each was a mailbox bombing service (12 attempts, 12 messages). Past a destination's limit a
# message is still written to the delivery log, as 'suppressed' with a blank body and never sent: the
# request stays countable, nothing is dropped silently, and the first messages always go out.
#
# The limits live here, in the service that decides to send, and count the delivery log itself (its
# index on lower(recipient)) over sliding windows: it already is the per-destination record of what went
# out, it is erased with the person, and it needs no second copy of the address.

# The kinds a booking made without an account sends at its booker's request (reminders are not: one per
# booking still standing, and none for a booking whose confirmations were all suppressed).
# A seat offered to a waitlist entry made without an account counts with them: its entry, too, was made at
# anybody's request, and every declined or expired offer would otherwise bring another.
ANONYMOUS_BOOKING_KINDS = (
    "appointment_booked",
    "appointment_cancelled",
    "appointment_rescheduled",
    "waitlist_seat_offered",
)
REGISTRATION_ATTEMPT_KINDS = ("registration_attempted",)


@dataclass(frozen=True)
class DestinationLimit:
    """At most `per_hour` messages of `kinds` to one address in any hour, `per_day` in any 24 hours."""

    kinds: tuple[str, ...]
    per_hour: int
    per_day: int

    def reached(self, last_hour: int, last_day: int) -> bool:
        return last_hour >= self.per_hour or last_day >= self.per_day


def booker_asked(account_id: uuid.UUID | None, *, by_clinic: bool = False) -> bool:
    """Whether a notice goes out at the request of the booker of a booking without an account, to an
    address nobody proved (limited per destination). A clinic's doing is not the booker's: it always goes out."""
    return account_id is None and not by_clinic


def mask_email(address: str) -> str:
    """Shows enough of an address for its owner to recognise it, not enough for anyone else to use it.

    marie.tremblay@example.org -> m***@example.org (the domain stays: people recognise their provider)."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return "***"
    return f"{local[0]}***@{domain}"


def help_url(portal_base_url: str, language: str) -> str:
    """The portal's help section, opened in the message's language."""
    return f"{portal_base_url.rstrip('/')}/help?lang={language}"


def minutes_left(expires_at: datetime, now: datetime) -> int:
    """Whole minutes until expiry, rounded to the nearest (a code issued a second ago still says 10); 0 once expired."""
    seconds = (expires_at - now).total_seconds()
    return 0 if seconds <= 0 else max(1, round(seconds / 60))


def old_address_to_warn(channel: str, old: str | None, new: str) -> str | None:
    """The previous email address, told of a change to another one; None when there is nobody to tell
    (a phone change, no previous address, or the same address in other letters)."""
    if channel != EMAIL or not old or old.strip().lower() == new.strip().lower():
        return None
    return old


def deletion_confirmation_to(email: str | None, phone: str | None) -> tuple[Channel, str] | None:
    """Where a deleted account's confirmation goes: its email, else its phone, else nowhere."""
    if email:
        return "email", email
    if phone is None:
        return None
    return "sms", phone


def contacts_to_match(contacts: Iterable[str | None]) -> list[str]:
    """The addresses to look for in the log when erasing a person, as the log's lower(...) compares them."""
    return sorted({contact.strip().lower() for contact in contacts if contact and contact.strip()})


def inline_delivery_id(event_id: uuid.UUID, channel: str, kind: str) -> uuid.UUID:
    """Derived from the event, so a resend after a crash between the provider's acceptance and our commit
    carries the same Message-ID / client_reference."""
    return uuid.uuid5(event_id, f"{channel}:{kind}")


def visit_instructions(service: ServiceOfferedV1, language: str, channel: str) -> str:
    """The clinic's instructions for the visit in the message's language, '' when it wrote none in it (the
    other language's would be read by someone who chose not to read it). An SMS gets them on one line, ended
    by a full stop so that the link after them does not read as their last word."""
    written = service.instructions_fr if language == "fr" else service.instructions_en
    return instructions_for(written, channel)


def instructions_for(written: str | None, channel: str) -> str:
    """Instructions as a message of `channel` gives them (see visit_instructions)."""
    text = (written or "").strip()
    if not text:
        return ""
    if channel != SMS:
        return "\n".join(line.rstrip() for line in text.splitlines())
    line = " ".join(text.split())
    return line if line.endswith((".", "!", "?")) else f"{line}."


AppointmentEvent = AppointmentBooked | AppointmentCancelled | AppointmentRescheduled


@dataclass(frozen=True)
class AppointmentDetails:
    """What a message says about an appointment; a reminder row keeps it (`stored()`) until it is sent."""

    appointment_id: uuid.UUID
    starts_at: datetime
    first_name: str
    last_name: str
    service_fr: str
    service_en: str
    place_name: str
    address: str
    city: str
    postal_code: str
    timezone: str
    language: str
    # The clinic's instructions for the visit; '' for reminders planned before they were kept.
    instructions_fr: str = ""
    instructions_en: str = ""

    @classmethod
    def of(cls, event: AppointmentEvent, *, named: bool) -> Self:
        """`named`: booked from an account (its holder's verified contact or a person they added)."""
        return cls(
            appointment_id=event.appointment_id,
            starts_at=event.starts_at,
            first_name=event.patient.first_name if named else "",
            last_name=event.patient.last_name if named else "",
            service_fr=event.service.name_fr,
            service_en=event.service.name_en,
            place_name=event.place.name,
            address=event.place.address,
            city=event.place.city,
            postal_code=event.place.postal_code,
            timezone=event.place.timezone,
            language=event.language,
            instructions_fr=event.service.instructions_fr or "",
            instructions_en=event.service.instructions_en or "",
        )

    @property
    def local_day(self) -> date:
        """The appointment's day at its place: reminders to one destination are grouped by it."""
        return self.starts_at.astimezone(ZoneInfo(self.timezone)).date()

    def instructions(self, channel: str) -> str:
        """The clinic's instructions in the message's language, as `channel` gives them (visit_instructions)."""
        return instructions_for(self.instructions_fr if self.language == "fr" else self.instructions_en, channel)

    def stored(self) -> dict[str, str]:
        """The JSON form, without the id and start time (columns of their own)."""
        # Not dataclasses.asdict: it deep-copies every field, and the values are all plain strings.
        return {field.name: getattr(self, field.name) for field in _STORED_FIELDS}

    @classmethod
    def from_stored(cls, appointment_id: uuid.UUID, starts_at: datetime, stored: dict[str, str]) -> Self:
        return cls(appointment_id=appointment_id, starts_at=starts_at, **stored)


_STORED_FIELDS = [field for field in fields(AppointmentDetails) if field.name not in ("appointment_id", "starts_at")]
