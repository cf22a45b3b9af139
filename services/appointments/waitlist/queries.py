"""The waitlist's SQL: entries, offers, the offer matcher's statements and the channel that wakes it.

Locks are always taken in one order, entry -> offer -> slot, by whoever waits for them (accept, decline,
leave); the matcher and the expiry take theirs with SKIP LOCKED, so they never wait on a citizen's act and no
two of them ever deadlock.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.booking.queries import SlotDetails
from services.appointments.waitlist.rules import (
    AFTERNOON,
    AFTERNOON_FROM,
    DATES_PASSED,
    DECLINED,
    DEPENDANT_REMOVED,
    ENDED,
    EVENING,
    EVENING_FROM,
    EXPIRED,
    MORNING,
    OFFERED,
    WAITING,
)

# Notified by the slots' triggers (migration 0017) when a seat may have freed.
SEATS_CHANNEL = "waitlist_seats"


@dataclass(frozen=True)
class ServicePlace:
    """A service with its establishment, as a waitlist entry names them."""

    service_id: uuid.UUID
    name_fr: str
    name_en: str
    establishment_id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    timezone: str
    hold_minutes: int


@dataclass(frozen=True)
class OfferView:
    id: uuid.UUID
    entry_id: uuid.UUID
    slot_id: uuid.UUID
    status: str
    starts_at: datetime
    ends_at: datetime
    offered_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    appointment_id: uuid.UUID | None
    token_hash: str


@dataclass(frozen=True)
class EntryView:
    """An entry with its service, place, place in line and open offer: what every answer about it shows."""

    id: uuid.UUID
    status: str
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    first_name: str
    last_name: str
    birth_date: date | None
    sex: str | None
    holder_name: str | None
    email: str | None
    phone: str | None
    language: str
    notify_email: bool
    notify_sms: bool
    from_date: date
    to_date: date
    times_of_day: list[str]
    joined_at: datetime
    changed_at: datetime
    token_hash: str | None
    request_fingerprint: str | None
    ended_reason: str | None  # rules.DATES_PASSED | OFFERS_UNANSWERED | DEPENDANT_REMOVED, once ended
    place: ServicePlace
    position: int | None  # 1-based among the waiting entries of the service; None unless waiting
    offer: OfferView | None  # the open one


_PLACE = """sv.id AS service_id, sv.name_fr, sv.name_en, e.id AS establishment_id, e.name, e.address, e.city,
       e.postal_code, e.timezone, e.waitlist_hold_minutes AS hold_minutes"""
_PLACE_FIELDS = tuple(ServicePlace.__dataclass_fields__)
_OFFER_COLUMNS = (
    "o.id, o.entry_id, o.slot_id, o.status, s.starts_at, s.ends_at, o.offered_at, o.expires_at, o.closed_at, "
    "o.appointment_id, o.token_hash"
)
_OFFER_FIELDS = tuple(OfferView.__dataclass_fields__)

ENTRY = f"""
SELECT w.id, w.status, w.account_id, w.person_id, w.first_name, w.last_name, w.birth_date, w.sex, w.holder_name,
       w.email, w.phone, w.language, w.notify_email, w.notify_sms, w.from_date, w.to_date, w.times_of_day,
       w.joined_at, w.changed_at, w.token_hash, w.request_fingerprint, w.ended_reason, {_PLACE},
       CASE WHEN w.status = 'waiting' THEN (
         SELECT count(*) FROM waitlist_entries ahead
         WHERE ahead.service_id = w.service_id AND ahead.status = 'waiting'
           AND (ahead.joined_at, ahead.id) <= (w.joined_at, w.id)) END AS position,
       o.id AS offer_id
FROM waitlist_entries w JOIN services sv ON sv.id = w.service_id JOIN establishments e ON e.id = sv.establishment_id
LEFT JOIN waitlist_offers o ON o.entry_id = w.id AND o.status = 'open'
"""
OFFERS_OF = text(
    f"SELECT {_OFFER_COLUMNS} FROM waitlist_offers o JOIN slots s ON s.id = o.slot_id "
    "WHERE o.entry_id = ANY(:entry_ids) ORDER BY o.offered_at, o.id"
)


def _place(values: Any) -> ServicePlace:
    return ServicePlace(**{name: values[name] for name in _PLACE_FIELDS})


def _offer(values: Any) -> OfferView:
    return OfferView(**{name: values[name] for name in _OFFER_FIELDS})


async def _entries(
    session: AsyncSession, where: str, params: dict[str, object]
) -> list[tuple[EntryView, list[OfferView]]]:
    """Entries (ENTRY's rows matching `where`) with every offer each was made, oldest first."""
    rows = (await session.execute(text(ENTRY + where), params)).all()
    if not rows:
        return []
    offers = (await session.execute(OFFERS_OF, {"entry_ids": [row.id for row in rows]})).all()
    by_entry: dict[uuid.UUID, list[OfferView]] = {row.id: [] for row in rows}
    for offer in offers:
        by_entry[offer.entry_id].append(_offer(offer._mapping))
    return [(_entry(row, by_entry[row.id]), by_entry[row.id]) for row in rows]


def _entry(row: Row[Any], offers: list[OfferView]) -> EntryView:
    values = row._mapping
    entry_fields = {name: values[name] for name in EntryView.__dataclass_fields__ if name not in ("place", "offer")}
    open_offer = next((offer for offer in offers if offer.id == values["offer_id"]), None)
    return EntryView(**entry_fields, place=_place(values), offer=open_offer)


async def entry_by_id(session: AsyncSession, entry_id: uuid.UUID) -> EntryView | None:
    found = await _entries(session, " WHERE w.id = :id", {"id": entry_id})
    return found[0][0] if found else None


async def entry_by_key(session: AsyncSession, key: str) -> EntryView | None:
    found = await _entries(session, " WHERE w.idempotency_key = :key", {"key": key})
    return found[0][0] if found else None


async def entries_of_account(session: AsyncSession, account_id: uuid.UUID) -> list[tuple[EntryView, list[OfferView]]]:
    """Every entry the account made (holder and dependants), newest first, each with all its offers, oldest
    first: the account's waitlist page reads it (the data export has its own query, export/queries.py, which
    follows the history's rule across linked accounts)."""
    return await _entries(
        session, " WHERE w.account_id = :account ORDER BY w.joined_at DESC, w.id", {"account": account_id}
    )


async def service_place(
    session: AsyncSession, establishment_id: uuid.UUID, service_id: uuid.UUID
) -> ServicePlace | None:
    row = (
        await session.execute(
            text(
                f"SELECT {_PLACE} FROM services sv JOIN establishments e ON e.id = sv.establishment_id "
                "WHERE sv.id = :service AND e.id = :establishment"
            ),
            {"service": service_id, "establishment": establishment_id},
        )
    ).first()
    return _place(row._mapping) if row is not None else None


async def insert_entry(session: AsyncSession, values: dict[str, object]) -> None:
    """`values`: every column of waitlist_entries but status and the times (the table's defaults)."""
    columns = ", ".join(values)
    await session.execute(
        text(f"INSERT INTO waitlist_entries ({columns}) VALUES ({', '.join(':' + c for c in values)})"), values
    )


async def lock_entry(session: AsyncSession, entry_id: uuid.UUID) -> str | None:
    """The entry's status, its row locked for this transaction (first of entry -> offer -> slot)."""
    found = await session.execute(
        text("SELECT status FROM waitlist_entries WHERE id = :id FOR NO KEY UPDATE"), {"id": entry_id}
    )
    return found.scalar_one_or_none()


async def open_offer_of(session: AsyncSession, entry_id: uuid.UUID) -> uuid.UUID | None:
    found = await session.execute(
        text("SELECT id FROM waitlist_offers WHERE entry_id = :id AND status = 'open'"), {"id": entry_id}
    )
    return found.scalar_one_or_none()


async def live_entries_of_source(session: AsyncSession, source_hmac: str) -> int:
    """Live entries made without an account from one client address, counted under a lock on that address held
    until commit, so two joins at once from it cannot both pass the limit."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended('waitlist-source:' || :source, 0))"),
        {"source": source_hmac},
    )
    found = await session.execute(
        text("SELECT count(*) FROM waitlist_entries WHERE source_hmac = :source AND status IN (:waiting, :offered)"),
        {"source": source_hmac, "waiting": WAITING, "offered": OFFERED},
    )
    return int(found.scalar_one())


async def wake_matcher(session: AsyncSession) -> None:
    """At commit, the matchers of every replica look for seats (someone joined: one may be free already)."""
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": SEATS_CHANNEL})


@dataclass(frozen=True)
class LockedOffer:
    status: str
    slot_id: uuid.UUID
    expired: bool  # past expires_at by the database's clock, the one the matcher expires by


async def lock_offer(session: AsyncSession, offer_id: uuid.UUID) -> LockedOffer:
    row = (
        await session.execute(
            text(
                "SELECT status, slot_id, expires_at <= now() AS expired FROM waitlist_offers WHERE id = :id "
                "FOR NO KEY UPDATE"
            ),
            {"id": offer_id},
        )
    ).one()
    return LockedOffer(row.status, row.slot_id, row.expired)


async def offer_by_id(session: AsyncSession, offer_id: uuid.UUID) -> OfferView | None:
    row = (
        await session.execute(
            text(f"SELECT {_OFFER_COLUMNS} FROM waitlist_offers o JOIN slots s ON s.id = o.slot_id WHERE o.id = :id"),
            {"id": offer_id},
        )
    ).first()
    return _offer(row._mapping) if row is not None else None


async def set_entry_status(session: AsyncSession, entry_id: uuid.UUID, status: str) -> None:
    await session.execute(
        text("UPDATE waitlist_entries SET status = :status, changed_at = now() WHERE id = :id"),
        {"id": entry_id, "status": status},
    )


async def close_offer(
    session: AsyncSession, offer_id: uuid.UUID, status: str, appointment_id: uuid.UUID | None = None
) -> None:
    await session.execute(
        text(
            "UPDATE waitlist_offers SET status = :status, closed_at = now(), appointment_id = :appointment "
            "WHERE id = :id"
        ),
        {"id": offer_id, "status": status, "appointment": appointment_id},
    )


async def seat_details(session: AsyncSession, slot_id: uuid.UUID) -> SlotDetails:
    """The held slot as a booking's confirmation describes it (booking.queries.SLOT_DETAILS' columns)."""
    row = (
        await session.execute(
            text(
                "SELECT s.starts_at, s.ends_at, sv.id AS service_id, sv.name_fr, sv.name_en, "
                "e.id AS establishment_id, e.name, e.address, e.city, e.postal_code, e.timezone, "
                "e.phone AS clinic_phone, sv.cancel_cutoff_hours, sv.instructions_fr, sv.instructions_en "
                "FROM slots s JOIN services sv ON sv.id = s.service_id "
                "JOIN establishments e ON e.id = sv.establishment_id WHERE s.id = :id"
            ),
            {"id": slot_id},
        )
    ).one()
    return SlotDetails(**row._mapping)


# --- the offer matcher ---

# A slot's time of day at its establishment (rules.time_of_day), for `s` joined with `est`.
_MOMENT = f"""CASE WHEN extract(hour FROM s.starts_at AT TIME ZONE est.timezone) < {AFTERNOON_FROM} THEN '{MORNING}'
  WHEN extract(hour FROM s.starts_at AT TIME ZONE est.timezone) < {EVENING_FROM} THEN '{AFTERNOON}'
  ELSE '{EVENING}' END"""

# The person (`person_key`) already has a live appointment at the slot's time: booking's overlap rule would refuse
# the seat, so it is not theirs to be offered. Written as the exclusion constraint appointments_no_overlap is, so
# its GiST index answers.
_BUSY_THEN = """EXISTS (SELECT 1 FROM appointments a
  WHERE (md5(a.person_key)::uuid) = (md5({person_key})::uuid) AND a.during && tstzrange({starts_at}, {ends_at})
    AND a.status IN ('booked', 'arrived', 'checked-in'))"""

# The offer matcher's choice, in two steps (next_match): the people in line whom at least one free seat fits,
# in join order (LINE_WITH_SEATS); then, for the first of them no other matcher holds, the earliest such seat
# (EARLIEST_SEAT). Both rows are locked for the offer's transaction.
#
# Invariant: every seat held for an offer is counted in slots.booked from the moment the offer exists until
# it is accepted (then the appointment holds it) or released (declined, expired, left: booked - 1). So
# `booked < capacity` means a seat nobody holds, and since the seat is then claimed by the same conditional
# increment as a booking's, a slot is never oversold and a seat never held for two people at once.
#
# Line order: waiting entries by joined_at (then id), each with the earliest free slot of its service inside
# its local dates and times of day, starting at least the establishment's hold time from now, never offered
# to that entry before (waitlist_offers_once_per_slot), at a time the person has no other appointment.
#
# Two matchers (replicas) at once: the entry and the seat are locked FOR NO KEY UPDATE SKIP LOCKED. A person
# another matcher holds is passed over (that matcher is offering them a seat), and so is a seat it holds, so
# neither waits and the second offers the next seat to the next person. The lock is NO KEY UPDATE, the
# strength of the increment itself: an appointment's foreign key check on the slot (KEY SHARE) passes it.
#
# Cost: `line` narrows the slots read to the days somebody waits for (one index range scan per service);
# `free` keeps the seats nobody holds there with their local day and time of day, and people meet them by a
# hash semi-join on (service, time of day). Matching every person with every seat instead took 4 s for 2,500
# people against 10,000 free seats at other times of day, and 17 s when those seats fitted them (3 million
# pairs sorted); this way about 50 ms either way, most of it reading the slots.
LINE_WITH_SEATS = text(f"""
WITH line AS MATERIALIZED (
  SELECT service_id, min(from_date) AS first_day, max(to_date) AS last_day
  FROM waitlist_entries WHERE status = 'waiting' GROUP BY service_id
), free AS MATERIALIZED (
  SELECT s.id, s.service_id, s.starts_at, s.ends_at, (s.starts_at AT TIME ZONE est.timezone)::date AS day,
         {_MOMENT} AS moment
  FROM line
  JOIN services sv ON sv.id = line.service_id
  JOIN establishments est ON est.id = sv.establishment_id
  JOIN slots s ON s.service_id = line.service_id
    AND s.starts_at >= line.first_day::timestamp AT TIME ZONE est.timezone
    AND s.starts_at < (line.last_day + 1)::timestamp AT TIME ZONE est.timezone
  WHERE s.booked < s.capacity AND s.starts_at >= now() + make_interval(mins => est.waitlist_hold_minutes)
), wanted AS MATERIALIZED (
  SELECT w.id, w.service_id, w.person_key, w.joined_at, w.from_date, w.to_date, moment
  FROM waitlist_entries w CROSS JOIN LATERAL unnest(w.times_of_day) AS moment
  WHERE w.status = 'waiting'
)
SELECT DISTINCT wanted.id, wanted.joined_at FROM wanted
WHERE EXISTS (
  SELECT 1 FROM free WHERE free.service_id = wanted.service_id AND free.moment = wanted.moment
    AND free.day BETWEEN wanted.from_date AND wanted.to_date
    AND NOT EXISTS (SELECT 1 FROM waitlist_offers o WHERE o.entry_id = wanted.id AND o.slot_id = free.id)
    AND NOT {_BUSY_THEN.format(person_key="wanted.person_key", starts_at="free.starts_at", ends_at="free.ends_at")})
ORDER BY wanted.joined_at, wanted.id
LIMIT :candidates
""")
LOCK_WAITING_ENTRY = text(
    "SELECT id FROM waitlist_entries WHERE id = :id AND status = 'waiting' FOR NO KEY UPDATE SKIP LOCKED"
)
EARLIEST_SEAT = text(f"""
SELECT s.id, est.waitlist_hold_minutes AS hold_minutes
FROM waitlist_entries w
JOIN services sv ON sv.id = w.service_id
JOIN establishments est ON est.id = sv.establishment_id
JOIN slots s ON s.service_id = w.service_id
  AND s.starts_at >= w.from_date::timestamp AT TIME ZONE est.timezone
  AND s.starts_at < (w.to_date + 1)::timestamp AT TIME ZONE est.timezone
WHERE w.id = :entry_id
  AND s.starts_at >= now() + make_interval(mins => est.waitlist_hold_minutes)
  AND s.booked < s.capacity AND {_MOMENT} = ANY (w.times_of_day)
  AND NOT EXISTS (SELECT 1 FROM waitlist_offers o WHERE o.entry_id = w.id AND o.slot_id = s.id)
  AND NOT {_BUSY_THEN.format(person_key="w.person_key", starts_at="s.starts_at", ends_at="s.ends_at")}
ORDER BY s.starts_at
LIMIT 1
FOR NO KEY UPDATE OF s SKIP LOCKED
""")
# People looked at per choice: past them all (each held by another matcher, or their seats are), the round
# ends and the next one, at the next notice or poll, looks again.
CANDIDATES = 20
# Booking's conditional increment (booking.queries.CLAIM_SEAT): under next_match's lock it cannot fail, and
# if that ever changed, the seat would simply not be held.
HOLD_SEAT = text("UPDATE slots SET booked = booked + 1 WHERE id = :slot_id AND booked < capacity RETURNING id")
INSERT_OFFER = text("""
INSERT INTO waitlist_offers (id, entry_id, slot_id, expires_at, token_hash)
VALUES (:id, :entry_id, :slot_id, now() + make_interval(mins => :hold_minutes), :token_hash)
RETURNING expires_at
""")


@dataclass(frozen=True)
class Match:
    entry_id: uuid.UUID
    slot_id: uuid.UUID
    hold_minutes: int


async def next_match(session: AsyncSession) -> Match | None:
    """The first person in line a free seat fits, and the earliest such seat, both locked for this transaction
    (LINE_WITH_SEATS, then LOCK_WAITING_ENTRY and EARLIEST_SEAT for each candidate until one has a seat).

    Invariant it relies on and keeps: a slot's `booked` counts its live appointments plus its open offers, so a
    seat with `booked < capacity` is held by nobody; the caller holds it with booking's conditional increment in
    the same transaction as the offer, so a seat is never held for two people nor oversold."""
    line = await session.execute(LINE_WITH_SEATS, {"candidates": CANDIDATES})
    for entry_id in line.scalars().all():
        if (await session.execute(LOCK_WAITING_ENTRY, {"id": entry_id})).first() is None:
            continue  # another matcher is offering them a seat, or they just left
        seat = (await session.execute(EARLIEST_SEAT, {"entry_id": entry_id})).first()
        if seat is not None:
            return Match(entry_id, seat.id, seat.hold_minutes)
    return None


async def hold_seat(session: AsyncSession, slot_id: uuid.UUID) -> bool:
    return (await session.execute(HOLD_SEAT, {"slot_id": slot_id})).first() is not None


async def insert_offer(session: AsyncSession, offer_id: uuid.UUID, match: Match, token_hash: str) -> datetime:
    """The offer, open until the hold time from now (the database's clock, which expiry reads too)."""
    expires_at = await session.execute(
        INSERT_OFFER,
        {
            "id": offer_id,
            "entry_id": match.entry_id,
            "slot_id": match.slot_id,
            "hold_minutes": match.hold_minutes,
            "token_hash": token_hash,
        },
    )
    return expires_at.scalar_one()  # type: ignore[no-any-return]


# One open offer past its time, with its entry, locked (SKIP LOCKED: one replica expires each).
DUE_OFFER = text("""
SELECT o.id, o.entry_id, o.slot_id FROM waitlist_offers o JOIN waitlist_entries w ON w.id = o.entry_id
WHERE o.status = 'open' AND o.expires_at <= now()
ORDER BY o.expires_at LIMIT 1
FOR NO KEY UPDATE OF w, o SKIP LOCKED
""")


@dataclass(frozen=True)
class DueOffer:
    id: uuid.UUID
    entry_id: uuid.UUID
    slot_id: uuid.UUID


async def due_offer(session: AsyncSession) -> DueOffer | None:
    row = (await session.execute(DUE_OFFER)).first()
    return DueOffer(row.id, row.entry_id, row.slot_id) if row is not None else None


async def expired_offers(session: AsyncSession, entry_id: uuid.UUID) -> int:
    """How many offers the entry let expire without an answer."""
    found = await session.execute(
        text("SELECT count(*) FROM waitlist_offers WHERE entry_id = :id AND status = :expired"),
        {"id": entry_id, "expired": EXPIRED},
    )
    return int(found.scalar_one())


async def end_entry(session: AsyncSession, entry_id: uuid.UUID, reason: str) -> None:
    await session.execute(
        text("UPDATE waitlist_entries SET status = :ended, ended_reason = :reason, changed_at = now() WHERE id = :id"),
        {"id": entry_id, "ended": ENDED, "reason": reason},
    )


async def back_in_line(session: AsyncSession, entry_id: uuid.UUID) -> None:
    """An entry whose offer closed without a booking waits again, in its place (joined_at is kept)."""
    await session.execute(
        text("UPDATE waitlist_entries SET status = :waiting, changed_at = now() WHERE id = :id AND status = :offered"),
        {"id": entry_id, "waiting": WAITING, "offered": OFFERED},
    )


# Waiting entries whose last day has passed at their establishment end (an entry holding an offer ends once
# the offer is settled and it waits again).
END_ENTRIES = text(f"""
UPDATE waitlist_entries w SET status = 'ended', ended_reason = '{DATES_PASSED}', changed_at = now()
FROM services sv JOIN establishments e ON e.id = sv.establishment_id
WHERE sv.id = w.service_id AND w.status = 'waiting' AND w.to_date < (now() AT TIME ZONE e.timezone)::date
""")


async def end_entries(session: AsyncSession) -> int:
    ended = await session.execute(END_ENTRIES)
    return int(ended.rowcount)  # type: ignore[attr-defined]


# --- an account deleted ---

LOCK_ENTRIES_OF_ACCOUNT = text("SELECT id FROM waitlist_entries WHERE account_id = :account ORDER BY id FOR UPDATE")
# Its offers go, and the seats its open ones held come back (the slots' trigger wakes the matchers).
DELETE_OFFERS_OF_ACCOUNT = text("""
WITH gone AS (
  DELETE FROM waitlist_offers o USING waitlist_entries w
  WHERE w.id = o.entry_id AND w.account_id = :account
  RETURNING o.slot_id, o.status
)
UPDATE slots s SET booked = s.booked - freed.seats
FROM (SELECT slot_id, count(*) AS seats FROM gone WHERE status = 'open' GROUP BY slot_id) freed
WHERE s.id = freed.slot_id
""")
DELETE_ENTRIES_OF_ACCOUNT = text("DELETE FROM waitlist_entries WHERE account_id = :account")


async def forget_account(session: AsyncSession, account_id: uuid.UUID) -> None:
    """The account's entries (holder's and dependants') and their offers are the account's: they go with it. An
    appointment made by accepting an offer stays with the clinic, as every appointment does."""
    params = {"account": account_id}
    await session.execute(LOCK_ENTRIES_OF_ACCOUNT, params)  # entry -> offer -> slot, as everywhere
    await session.execute(DELETE_OFFERS_OF_ACCOUNT, params)
    await session.execute(DELETE_ENTRIES_OF_ACCOUNT, params)


# --- a dependant removed from an account ---

_OF_PERSON = "w.account_id = :account AND w.person_id = :person AND w.status IN ('waiting', 'offered')"
LOCK_ENTRIES_OF_PERSON = text(f"SELECT w.id FROM waitlist_entries w WHERE {_OF_PERSON} ORDER BY w.id FOR NO KEY UPDATE")
# Its open offers are declined and their seats come back (the slots' trigger wakes the matchers).
DECLINE_OFFERS_OF_PERSON = text(f"""
WITH closed AS (
  UPDATE waitlist_offers o SET status = '{DECLINED}', closed_at = now()
  FROM waitlist_entries w
  WHERE w.id = o.entry_id AND {_OF_PERSON} AND o.status = 'open'
  RETURNING o.slot_id
)
UPDATE slots s SET booked = s.booked - freed.seats
FROM (SELECT slot_id, count(*) AS seats FROM closed GROUP BY slot_id) freed
WHERE s.id = freed.slot_id
""")
END_ENTRIES_OF_PERSON = text(f"""
UPDATE waitlist_entries w SET status = '{ENDED}', ended_reason = '{DEPENDANT_REMOVED}', changed_at = now()
WHERE {_OF_PERSON}
""")


async def end_entries_of_person(session: AsyncSession, account_id: uuid.UUID, person_id: uuid.UUID) -> None:
    """A dependant removed from the account: the entries the account made for them end, and a seat one of them was
    offered goes to the next in line. Another account's entries for the same person (a shared child) stay."""
    params = {"account": account_id, "person": person_id}
    await session.execute(LOCK_ENTRIES_OF_PERSON, params)  # entry -> offer -> slot, as everywhere
    await session.execute(DECLINE_OFFERS_OF_PERSON, params)
    await session.execute(END_ENTRIES_OF_PERSON, params)


# --- staff ---


@dataclass(frozen=True)
class LineLength:
    service_id: uuid.UUID
    name_fr: str
    name_en: str
    waiting: int
    offered: int


async def line_lengths(session: AsyncSession, establishment_id: uuid.UUID) -> list[LineLength]:
    rows = (
        await session.execute(
            text("""
            SELECT sv.id AS service_id, sv.name_fr, sv.name_en,
                   count(w.id) FILTER (WHERE w.status = :waiting) AS waiting,
                   count(w.id) FILTER (WHERE w.status = :offered) AS offered
            FROM services sv LEFT JOIN waitlist_entries w ON w.service_id = sv.id AND w.status IN (:waiting, :offered)
            WHERE sv.establishment_id = :establishment
            GROUP BY sv.id, sv.name_fr, sv.name_en ORDER BY sv.name_fr, sv.id
            """),
            {"establishment": establishment_id, "waiting": WAITING, "offered": OFFERED},
        )
    ).all()
    return [LineLength(**row._mapping) for row in rows]


async def hold_minutes(session: AsyncSession, establishment_id: uuid.UUID) -> int:
    found = await session.execute(
        text("SELECT waitlist_hold_minutes FROM establishments WHERE id = :id"), {"id": establishment_id}
    )
    return int(found.scalar_one())


async def set_hold_minutes(session: AsyncSession, establishment_id: uuid.UUID, minutes: int) -> None:
    await session.execute(
        text("UPDATE establishments SET waitlist_hold_minutes = :minutes WHERE id = :id"),
        {"id": establishment_id, "minutes": minutes},
    )


# --- the matcher's wake-up ---


async def listen_for_seats(dsn: str, on_notice: Callable[[], None], connect_seconds: float) -> asyncpg.Connection:
    """A connection of its own that calls `on_notice` whenever the slots' triggers notify SEATS_CHANNEL; the
    caller closes it (and opens another if it breaks). `connect_seconds` bounds the connecting: the matcher waits for
    it before a round, and asyncpg's own default (60 s) would hold every offer back that long."""
    connection: asyncpg.Connection = await asyncpg.connect(dsn, timeout=connect_seconds)
    try:
        await connection.add_listener(SEATS_CHANNEL, lambda *_: on_notice())
    except BaseException:
        await connection.close(timeout=connect_seconds)
        raise
    return connection
