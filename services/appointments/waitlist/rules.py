"""Waitlist rules, free of I/O: who may wait for what, the times of day, the links' secrets, the refusals.

A person waits for one service between two local dates, at some times of day. When a seat of that service
frees, the matcher (queries.next_match) holds it for the first person in line it fits, for the establishment's
hold time; they accept it (an appointment, booked as any other) or decline it, or let it expire: then the seat
goes to the next person, and they are back in line, never offered that slot again.
"""

import hashlib
import hmac
import uuid
from datetime import date, time, timedelta

from shared.refusals import Refused

# Entry states.
WAITING, OFFERED, BOOKED, LEFT, ENDED = "waiting", "offered", "booked", "left", "ended"
LIVE = frozenset({WAITING, OFFERED})
# Offer states.
OPEN, ACCEPTED, DECLINED, EXPIRED = "open", "accepted", "declined", "expired"

MORNING, AFTERNOON, EVENING = "morning", "afternoon", "evening"
TIMES_OF_DAY = (MORNING, AFTERNOON, EVENING)
# Local hours where the afternoon and the evening begin (queries._MOMENT reads them too).
AFTERNOON_FROM, EVENING_FROM = 12, 17
MAX_SPAN_DAYS = 60
DEFAULT_HOLD_MINUTES, MIN_HOLD_MINUTES, MAX_HOLD_MINUTES = 15, 1, 1440
# An entry that lets this many offers expire unanswered ends (a decline is an answer and does not count). A
# person who ignores two offers is probably no longer looking; and it bounds what a fake entry costs the people
# behind it to two holds, where it once went back to its place after each one for as long as its dates ran.
MAX_UNANSWERED_OFFERS = 2
# Why an ended entry ended (waitlist_entries.ended_reason).
DATES_PASSED, OFFERS_UNANSWERED, DEPENDANT_REMOVED = "dates_passed", "offers_unanswered", "dependant_removed"
# Live entries made without an account from one client address, across every line: enough for a family at one
# connection, too few to put a fake person at the head of every line.
MAX_LIVE_ENTRIES_PER_SOURCE = 5


class FromDateInPast(Refused):
    pass


class ToDateBeforeFromDate(Refused):
    pass


class WaitlistSpanTooLong(Refused):
    def __init__(self) -> None:
        super().__init__(MAX_SPAN_DAYS)
        self.max_days = MAX_SPAN_DAYS


class TimesOfDayInvalid(Refused):
    pass


class WaitlistContactRequired(Refused):
    """Joined without an account with neither an e-mail nor a mobile: nobody could be told of a seat."""


class AlreadyWaiting(Refused):
    """The same person already waits (or holds an offer) for this service."""


class ContactAlreadyWaiting(Refused):
    """Without an account: this e-mail (whatever its +tag) or mobile already waits (or holds an offer) for this
    service. `field`: the one that does (email or phone)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class TooManyWaitlistEntries(Refused):
    """Already MAX_LIVE_ENTRIES_PER_SOURCE live entries without an account from this client address."""

    def __init__(self) -> None:
        super().__init__(MAX_LIVE_ENTRIES_PER_SOURCE)
        self.max_entries = MAX_LIVE_ENTRIES_PER_SOURCE


class WaitlistEntryNotFound(Refused):
    """Also what a caller who may not see the entry is told, so ids cannot be probed."""


class OfferNotFound(Refused):
    """Also the answer to a wrong token."""


class OfferExpired(Refused):
    pass


class OfferNotOpen(Refused):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def require_open(status: str, past_expiry: bool) -> None:
    """An offer is accepted only while open and before it expires, whether or not the matcher expired it yet."""
    if status == EXPIRED or (status == OPEN and past_expiry):
        raise OfferExpired
    if status != OPEN:
        raise OfferNotOpen(status)


def time_of_day(local: time) -> str:
    """Morning before 12:00, afternoon until 16:59, evening from 17:00 (local time of the establishment)."""
    if local.hour < AFTERNOON_FROM:
        return MORNING
    return AFTERNOON if local.hour < EVENING_FROM else EVENING


def check_times_of_day(chosen: list[str]) -> list[str]:
    """A non-empty set of TIMES_OF_DAY, returned in the day's order."""
    if not chosen or any(choice not in TIMES_OF_DAY for choice in chosen):
        raise TimesOfDayInvalid
    return [moment for moment in TIMES_OF_DAY if moment in chosen]


def check_dates(from_date: date, to_date: date, today: date) -> None:
    """From today (the establishment's) at the earliest, for at most MAX_SPAN_DAYS days after the first."""
    if from_date < today:
        raise FromDateInPast
    if to_date < from_date:
        raise ToDateBeforeFromDate
    if to_date - from_date > timedelta(days=MAX_SPAN_DAYS):
        raise WaitlistSpanTooLong


def require_contact(email: str | None, phone: str | None) -> None:
    if not email and not phone:
        raise WaitlistContactRequired


def email_key(email: str | None) -> str | None:
    """An e-mail as a destination: a+1@x and A@x are a@x (lower case, the local part's +tag dropped)."""
    if not email:
        return None
    local, at, domain = email.lower().rpartition("@")
    # A local part that is all tag ("+x@") is kept whole: dropping it would leave no address.
    return (local.split("+", 1)[0] or local) + at + domain if at else domain


def ends_after_expiry(expired_offers: int) -> bool:
    """An entry whose offer just expired ends when it let MAX_UNANSWERED_OFFERS expire in all."""
    return expired_offers >= MAX_UNANSWERED_OFFERS


def check_live_entries(live_from_source: int) -> None:
    """Before one more entry without an account from a client address holding `live_from_source` live ones."""
    if live_from_source >= MAX_LIVE_ENTRIES_PER_SOURCE:
        raise TooManyWaitlistEntries


def notify_channels(
    account_id: uuid.UUID | None, email: str | None, phone: str | None, notify_email: bool, notify_sms: bool
) -> tuple[str, ...]:
    """Where an offer goes: the channels asked for that have an address, else whichever address there is.
    An offer is only worth something if it is seen within the hold, so without an account both channels
    given are used when both were asked for."""
    asked = tuple(
        c for c, on, address in (("email", notify_email, email), ("sms", notify_sms, phone)) if on and address
    )
    if asked:
        return asked
    reachable = tuple(c for c, address in (("email", email), ("sms", phone)) if address)
    return reachable[:1] or ("email",)


def link_token(secret: bytes, kind: str, object_id: uuid.UUID) -> str:
    """The secret of an offer's or an entry's link: derived from the service's key, so the account's page
    (and an idempotent replay) can show it again; only its hash (token_hash) is stored."""
    digest = hmac.new(secret, f"waitlist-{kind}:".encode() + object_id.bytes, hashlib.sha256).digest()
    return digest[:24].hex()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(stored_hash: str | None, token: str) -> bool:
    return stored_hash is not None and hmac.compare_digest(stored_hash, token_hash(token))
