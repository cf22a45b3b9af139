"""The booking hot path as one SQL statement: claim the seat, insert the appointment and its outbox row.

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
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from shared.db import pooled_driver_connection
from shared.messages import EventEnvelope
from shared.outbox import outbox_row

SLOT_DETAILS = """
SELECT s.starts_at, s.ends_at, sv.id AS service_id, sv.name_fr, sv.name_en,
       e.id AS establishment_id, e.name, e.address, e.city, e.postal_code, e.timezone
FROM slots s JOIN services sv ON sv.id = s.service_id JOIN establishments e ON e.id = sv.establishment_id
WHERE s.id = $1
"""

# The seat is claimed only at the times the event was rendered with: a slot moved in between is not booked.
# Columns after $4 follow APPOINTMENT_COLUMNS; the outbox row's four values come last.
APPOINTMENT_COLUMNS = (
    "account_id", "person_id", "person_key", "first_name", "last_name", "birth_date", "email", "phone",
    "language", "notify_email", "notify_sms", "idempotency_key", "request_fingerprint", "holder_name", "identity_key",
    "sex",
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

    def __init__(self, pooled: PoolProxiedConnection) -> None:
        self._pooled = pooled
        self._driver: asyncpg.Connection = pooled.driver_connection  # type: ignore[assignment]

    async def slot_details(self, slot_id: uuid.UUID, cache: SlotDetailsCache) -> tuple[SlotDetails | None, bool]:
        """The slot's details and whether they came from the cache."""
        cached = cache.get(slot_id)
        if cached is not None:
            return cached, True
        details = await self._guarded(read_slot_details(self._driver, slot_id))
        if details is not None:
            cache.put(slot_id, details)
        return details, False

    async def slot_state(self, slot_id: uuid.UUID) -> asyncpg.Record | None:
        return await self._guarded(self._driver.fetchrow(SLOT_STATE, slot_id))

    async def fetchrow(self, statement: str, *arguments: object) -> asyncpg.Record | None:
        """Another single statement of the booking path, in autocommit (booking_sources' count)."""
        return await self._guarded(self._driver.fetchrow(statement, *arguments))

    async def book(
        self, slot: SlotDetails, appointment_id: uuid.UUID, appointment: dict[str, Any], event: EventEnvelope
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
async def booking_connection(engine: AsyncEngine) -> AsyncIterator[BookingConnection]:
    async with pooled_driver_connection(engine) as pooled:
        yield BookingConnection(pooled)
