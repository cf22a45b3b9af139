"""The booking feature's SQL, and the only place it is written.

The booking hot path is one SQL statement: claim the seat, insert the appointment and its outbox row.

Profiled under load (bench/profile.py), the booking spent most of the service's core in SQLAlchemy's
execution machinery over five round trips (BEGIN, claim, insert, outbox insert, COMMIT). Here the
slot's details are read first (no lock), the event is rendered in Python from its contract, and one
statement does the three writes on the driver connection directly. A single statement is atomic, so
the appointment and its event still commit together; the conditional UPDATE still takes the slot's
row lock and PostgreSQL re-checks `booked < capacity` after it, so a slot can never be oversold.
"""

import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import Row, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util import greenlet_spawn

from services.appointments.booking.rules import AppointmentDetails, LockedAppointment, SlotState
from services.appointments.models import account_links, appointments, dependant_links
from shared.messages import EventEnvelope
from shared.outbox import outbox_row
from shared.unit_of_work import AutocommitConnection, UnitOfWork

SLOT_DETAILS = """
SELECT s.starts_at, s.ends_at, sv.id AS service_id, sv.name_fr, sv.name_en,
       e.id AS establishment_id, e.name, e.address, e.city, e.postal_code, e.timezone,
       e.phone AS clinic_phone, sv.cancel_cutoff_hours, sv.instructions_fr, sv.instructions_en
FROM slots s JOIN services sv ON sv.id = s.service_id JOIN establishments e ON e.id = sv.establishment_id
WHERE s.id = $1
"""

# The seat is claimed only at the times the event was rendered with: a slot moved in between is not booked.
# Columns after $4 follow APPOINTMENT_COLUMNS; the outbox row's four values come last.
APPOINTMENT_COLUMNS = (
    "account_id", "person_id", "person_key", "first_name", "last_name", "birth_date", "email", "phone",
    "language", "notify_email", "notify_sms", "idempotency_key", "request_fingerprint", "holder_name", "identity_key",
    "sex", "source", "booked_by_staff_id",
)  # fmt: skip
_FIRST = 5
_values = ", ".join(f"${n}" for n in range(_FIRST, _FIRST + len(APPOINTMENT_COLUMNS)))
_OUTBOX = _FIRST + len(APPOINTMENT_COLUMNS)
BOOK = f"""
WITH seat AS (
  UPDATE slots SET booked = booked + 1
  WHERE id = $1 AND booked < capacity AND starts_at > now() AND starts_at = $2 AND ends_at = $3
  RETURNING id
), appointment AS (
  INSERT INTO appointments (id, slot_id, during, status, {", ".join(APPOINTMENT_COLUMNS)})
  SELECT $4, seat.id, tstzrange($2, $3), 'booked', {_values} FROM seat
  RETURNING id
)
INSERT INTO outbox (event_id, routing_key, body, correlation_id)
SELECT ${_OUTBOX}, ${_OUTBOX + 1}, ${_OUTBOX + 2}, ${_OUTBOX + 3} FROM appointment
RETURNING id
"""
DEADLOCK_RETRIES = 3
SLOT_STATE = "SELECT starts_at, ends_at, capacity, booked FROM slots WHERE id = $1"
T = TypeVar("T")


@dataclass(frozen=True)
class SlotDetails:
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
    # The clinic's rules, for the confirmation and its event.
    clinic_phone: str | None
    cancel_cutoff_hours: int
    instructions_fr: str | None
    instructions_en: str | None


@dataclass(frozen=True)
class SlotNow:
    """A slot's times and seats as they are now, read after a claim failed."""

    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int


@dataclass(frozen=True)
class SourceCount:
    """Bookings without an account from one source this hour, and the seconds until the next hour."""

    bookings: int
    seconds_left: float


# Errors after which the driver connection is no use to anyone (server restarted, socket gone, or the
# protocol caught mid-message by the server's termination notice).
CONNECTION_LOST = (
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    OSError,
    TimeoutError,
)


class SlotDetailsCache:
    """Slot details read in the last `ttl_seconds`, so a booking of a slot booked moments ago is one round trip.

    Safe for the seat: the booking statement claims the seat only at the times it was given, so a slot
    moved since it was cached is refused, and the caller then reads it afresh (`forget`). What the cache
    can make stale is the place and service wording of the event, for at most `ttl_seconds` after an edit.
    """

    def __init__(self, ttl_seconds: float = 2.0, max_entries: int = 10_000) -> None:
        self._ttl, self._max = ttl_seconds, max_entries
        self._entries: dict[uuid.UUID, tuple[float, SlotDetails]] = {}

    def get(self, slot_id: uuid.UUID) -> SlotDetails | None:
        entry = self._entries.get(slot_id)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, slot_id: uuid.UUID, details: SlotDetails) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()  # bounded memory; dropping all is cheaper than tracking recency per hit
        self._entries[slot_id] = (time.monotonic() + self._ttl, details)

    def forget(self, slot_id: uuid.UUID) -> None:
        self._entries.pop(slot_id, None)


async def read_slot_details(connection: asyncpg.Connection, slot_id: uuid.UUID) -> SlotDetails | None:
    row = await connection.fetchrow(SLOT_DETAILS, slot_id)
    return SlotDetails(**row) if row is not None else None


class BookingConnection:
    """A pooled asyncpg connection used in autocommit, with no SQLAlchemy Session around it.

    SQLAlchemy never sees errors raised here, so a lost connection is invalidated by hand: otherwise
    the pool would hand the dead connection out again and every later booking on it would fail.
    """

    def __init__(self, autocommit: AutocommitConnection) -> None:
        self._pooled = autocommit.pooled
        self._driver: asyncpg.Connection = autocommit.pooled.driver_connection  # type: ignore[assignment]
        # After a booking that claimed its seat: its event is in the outbox, the relay may go.
        self.events_written = autocommit.events_written

    async def slot_details(self, slot_id: uuid.UUID, cache: SlotDetailsCache) -> tuple[SlotDetails | None, bool]:
        """The slot's details and whether they came from the cache."""
        cached = cache.get(slot_id)
        if cached is not None:
            return cached, True
        details = await self._guarded(read_slot_details(self._driver, slot_id))
        if details is not None:
            cache.put(slot_id, details)
        return details, False

    async def slot_state(self, slot_id: uuid.UUID) -> SlotNow | None:
        row = await self._guarded(self._driver.fetchrow(SLOT_STATE, slot_id))
        return SlotNow(**row) if row is not None else None

    async def count_source(self, source_hmac: str) -> SourceCount:
        """Another single statement of the booking path, in autocommit (COUNT_SOURCE)."""
        row = await self._guarded(self._driver.fetchrow(COUNT_SOURCE, source_hmac))
        assert row is not None  # the upsert always returns its row
        return SourceCount(**row)

    async def book(
        self, slot: SlotDetails, appointment_id: uuid.UUID, appointment: dict[str, object], event: EventEnvelope
    ) -> bool:
        """Whether the seat was claimed (and the appointment and its event written with it)."""
        row = outbox_row(event)
        arguments = (
            appointment["slot_id"],
            slot.starts_at,
            slot.ends_at,
            appointment_id,
            *(appointment[column] for column in APPOINTMENT_COLUMNS),
            row["event_id"],
            row["routing_key"],
            row["body"],
            row["correlation_id"],
        )
        attempts_left = DEADLOCK_RETRIES
        while True:
            try:
                return await self._guarded(self._driver.fetchval(BOOK, *arguments)) is not None
            except asyncpg.TransactionRollbackError:
                # Two bookings of one person at overlapping times, on two slots, each wait in the exclusion
                # index for the other's uncommitted row: PostgreSQL ends the deadlock by aborting one. The
                # statement wrote nothing; run again, it meets the other's row committed (refused as an
                # overlap) or gone.
                attempts_left -= 1
                if not attempts_left:
                    raise

    async def _guarded(self, operation: Awaitable[T]) -> T:
        try:
            return await operation
        except CONNECTION_LOST:
            await greenlet_spawn(self._pooled.invalidate)
            raise


@asynccontextmanager
async def booking_connection(uow: UnitOfWork) -> AsyncIterator[BookingConnection]:
    async with uow.autocommit() as autocommit:
        yield BookingConnection(autocommit)


async def count_booking_source(uow: UnitOfWork, source_hmac: str) -> SourceCount:
    async with booking_connection(uow) as connection:
        return await connection.count_source(source_hmac)


# Bookings without an account, counted per client address (use_cases.admit_booking_source).
# One statement, in autocommit on the booking path's driver connection (one round trip, where a transaction
# took three). Only the current hour is ever read; past hours are forgotten by FORGET_PAST_SOURCES, every few
# minutes (main.py), not here: a DELETE in this statement was prepared once per connection and its plan kept,
# so a plan made while the table was small read the whole table at each address's first booking of the hour,
# and a rush brings thousands of new addresses an hour.
COUNT_SOURCE = """
INSERT INTO booking_sources (hour, source_hmac, bookings) VALUES (date_trunc('hour', now()), $1, 1)
ON CONFLICT (hour, source_hmac) DO UPDATE SET bookings = booking_sources.bookings + 1
RETURNING bookings, extract(epoch FROM date_trunc('hour', now()) + interval '1 hour' - now())::float8 AS seconds_left
"""

# Every hour before the current one: what no limit reads any more.
FORGET_PAST_SOURCES = "DELETE FROM booking_sources WHERE hour < date_trunc('hour', now())"


async def forget_past_sources(uow: UnitOfWork) -> int:
    result = await uow.session.execute(text(FORGET_PAST_SOURCES))
    forgotten: int = result.rowcount  # type: ignore[attr-defined]
    return forgotten


# What a violated constraint looks like, whether the statement ran through SQLAlchemy or on the driver.
INTEGRITY_ERRORS = (IntegrityError, asyncpg.IntegrityConstraintViolationError)


def violated_constraint(exc: IntegrityError | asyncpg.IntegrityConstraintViolationError) -> str:
    source = exc.orig if isinstance(exc, IntegrityError) else exc
    return str(getattr(source, "constraint_name", "") or source)


# --- Appointments in the unit of work's session (everything but the booking itself) ---

# One statement claims the seat and reads what the confirmation needs. The row lock taken by the
# UPDATE serialises concurrent claims on a slot and PostgreSQL re-checks `booked < capacity`
# after the lock, so a slot can never be oversold.
CLAIM_SEAT = text("""
UPDATE slots AS s SET booked = s.booked + 1
FROM services AS sv JOIN establishments AS e ON e.id = sv.establishment_id
WHERE s.id = :slot_id AND sv.id = s.service_id AND s.booked < s.capacity AND s.starts_at > now()
RETURNING s.starts_at, s.ends_at, sv.id AS service_id, sv.name_fr, sv.name_en,
          e.id AS establishment_id, e.name, e.address, e.city, e.postal_code, e.timezone,
          e.phone AS clinic_phone, sv.cancel_cutoff_hours, sv.instructions_fr, sv.instructions_en
""")
RELEASE_SEAT = text("UPDATE slots SET booked = booked - 1 WHERE id = :slot_id")
SLOT_STATE_NOW = text("SELECT starts_at, capacity, booked FROM slots WHERE id = :slot_id")

DETAILS = """
SELECT a.id, a.slot_id, a.account_id, a.person_id, a.status, a.first_name, a.last_name, a.birth_date, a.holder_name,
       a.sex, a.email, a.phone,
       a.language, a.notify_email, a.notify_sms, a.confirmed_at, a.request_fingerprint, a.manage_generation,
       s.starts_at, s.ends_at, sv.id AS service_id, sv.name_fr, sv.name_en,
       e.id AS establishment_id, e.name, e.address, e.city, e.postal_code, e.timezone,
       e.phone AS clinic_phone, sv.cancel_cutoff_hours, sv.instructions_fr, sv.instructions_en,
       a.source, a.booked_by_staff_id
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
DETAILS_FIELDS = tuple(AppointmentDetails.__dataclass_fields__)


def appointment_details(row: Row[Any]) -> AppointmentDetails:
    """A row of DETAILS (or of a query that selects DETAILS' columns and more) as its dataclass."""
    values = row._mapping
    return AppointmentDetails(**{name: values[name] for name in DETAILS_FIELDS})


async def appointment_by_id(session: AsyncSession, appointment_id: uuid.UUID) -> AppointmentDetails | None:
    row = (await session.execute(APPOINTMENT_BY_ID, {"id": appointment_id})).first()
    return appointment_details(row) if row is not None else None


async def appointment_by_key(session: AsyncSession, key: str) -> AppointmentDetails | None:
    row = (await session.execute(APPOINTMENT_BY_KEY, {"key": key})).first()
    return appointment_details(row) if row is not None else None


async def appointments_of_account(session: AsyncSession, account_id: uuid.UUID) -> list[AppointmentDetails]:
    rows = (await session.execute(APPOINTMENTS_OF_ACCOUNT, {"account_id": account_id})).all()
    return [appointment_details(row) for row in rows]


async def same_link_group(session: AsyncSession, caller: uuid.UUID, owner: uuid.UUID, person: uuid.UUID | None) -> bool:
    found = await session.execute(SAME_LINK_GROUP, {"caller": caller, "owner": owner, "person": person})
    return bool(found.scalar())


async def lock_appointment(session: AsyncSession, appointment_id: uuid.UUID) -> LockedAppointment:
    row = (await session.execute(LOCK_APPOINTMENT, {"id": appointment_id})).one()
    return LockedAppointment(status=row.status, slot_id=row.slot_id, manage_generation=row.manage_generation)


# An appointment on a seat already held for it (a waitlist offer accepted: the matcher counted the seat in
# slots.booked when it held it), so no claim here. The same columns as BOOK's, so the same overlap rule (the
# exclusion constraint on person_key) and idempotency index apply.
INSERT_ON_HELD_SEAT = text(
    f"INSERT INTO appointments (id, slot_id, during, status, {', '.join(APPOINTMENT_COLUMNS)}) "
    f"VALUES (:id, :slot_id, tstzrange(:starts_at, :ends_at), 'booked', "
    f"{', '.join(':' + column for column in APPOINTMENT_COLUMNS)})"
)


async def insert_on_held_seat(
    session: AsyncSession, appointment_id: uuid.UUID, seat: SlotDetails, appointment: dict[str, object]
) -> None:
    values = {column: appointment[column] for column in APPOINTMENT_COLUMNS}
    await session.execute(
        INSERT_ON_HELD_SEAT,
        {
            "id": appointment_id,
            "slot_id": appointment["slot_id"],
            "starts_at": seat.starts_at,
            "ends_at": seat.ends_at,
            **values,
        },
    )


async def cancel_appointment(session: AsyncSession, appointment_id: uuid.UUID) -> None:
    await session.execute(
        text("UPDATE appointments SET status = 'cancelled', cancelled_at = now() WHERE id = :id"),
        {"id": appointment_id},
    )


async def release_seat(session: AsyncSession, slot_id: uuid.UUID) -> None:
    await session.execute(RELEASE_SEAT, {"slot_id": slot_id})


async def confirm_presence(session: AsyncSession, appointment_id: uuid.UUID) -> None:
    await session.execute(
        text("UPDATE appointments SET confirmed_at = coalesce(confirmed_at, now()) WHERE id = :id"),
        {"id": appointment_id},
    )


async def claim_seat(session: AsyncSession, slot_id: uuid.UUID) -> SlotDetails | None:
    row = (await session.execute(CLAIM_SEAT, {"slot_id": slot_id})).first()
    return SlotDetails(**row._mapping) if row is not None else None


async def slot_state(session: AsyncSession, slot_id: uuid.UUID) -> SlotState | None:
    row = (await session.execute(SLOT_STATE_NOW, {"slot_id": slot_id})).first()
    return SlotState(row.starts_at, row.capacity, row.booked) if row is not None else None


async def move_appointment(
    session: AsyncSession, appointment_id: uuid.UUID, seat: SlotDetails, slot_id: uuid.UUID, generation: int
) -> None:
    await session.execute(
        text(
            "UPDATE appointments SET slot_id = :slot_id, during = tstzrange(:starts_at, :ends_at), "
            "confirmed_at = NULL, manage_generation = :generation WHERE id = :id"
        ),
        {
            "id": appointment_id,
            "slot_id": slot_id,
            "starts_at": seat.starts_at,
            "ends_at": seat.ends_at,
            "generation": generation,
        },
    )


# --- Read model of accounts' links, and what an account's deletion takes away ---


async def unlink_account(session: AsyncSession, account_id: uuid.UUID) -> None:
    """The account's appointments lose what belonged to the account: the link, its email and phone, the
    holder's name; and the account leaves its link groups."""
    await session.execute(
        update(appointments)
        .where(appointments.c.account_id == account_id)
        .values(account_id=None, email=None, phone=None, holder_name=None)
    )
    await session.execute(delete(account_links).where(account_links.c.account_id == account_id))
    await session.execute(delete(dependant_links).where(dependant_links.c.account_id == account_id))


async def replace_account_links(
    session: AsyncSession, group_id: uuid.UUID, account_ids: list[uuid.UUID], at: datetime
) -> None:
    """The group's whole membership replaces what is held for the group and its accounts (a merge moves
    accounts from another group), unless something newer was applied already."""
    concerned = or_(account_links.c.group_id == group_id, account_links.c.account_id.in_(account_ids))
    newest = (await session.execute(select(func.max(account_links.c.linked_at)).where(concerned))).scalar()
    if newest is not None and newest > at:
        return
    await session.execute(delete(account_links).where(concerned))
    if account_ids:
        await session.execute(
            insert(account_links).values(
                [{"account_id": account_id, "group_id": group_id, "linked_at": at} for account_id in set(account_ids)]
            )
        )


async def replace_dependant_links(
    session: AsyncSession, group_id: uuid.UUID, members: list[tuple[uuid.UUID, uuid.UUID]], at: datetime
) -> None:
    """`members`: (person_id, account_id) pairs. The group's whole membership replaces what is held, unless
    something newer was applied already."""
    newest = (
        await session.execute(
            select(func.max(dependant_links.c.linked_at)).where(dependant_links.c.group_id == group_id)
        )
    ).scalar()
    if newest is not None and newest > at:
        return
    await session.execute(delete(dependant_links).where(dependant_links.c.group_id == group_id))
    if len(members) >= 2:  # one parent alone shares nothing
        await session.execute(
            insert(dependant_links).values(
                [
                    {"person_id": person_id, "account_id": account_id, "group_id": group_id, "linked_at": at}
                    for person_id, account_id in members
                ]
            )
        )
