"""The offer matcher: a loop in every replica of the appointments service that offers freed seats to the
people waiting for them.

Each round: expire the open offers past their time (their seats come back), end the entries whose last day
has passed, then offer seats one transaction at a time until none fits anybody (use_cases.offer_next_seat,
queries.next_match). Between rounds it sleeps until PostgreSQL notifies `waitlist_seats` (a seat freed, slots
opened, someone joined: migration 0017's triggers and use_cases) or `poll_seconds` pass, whichever is first;
the poll is what expires offers on time and what catches up after a lost listening connection. A round that
fails (the database restarting, refusing a connection) is tried again within a second or so, not a poll later:
the notice that woke it is spent, and the seat it announced would otherwise wait a whole poll per failure.
Replicas run side by side safely: every statement that picks work skips rows another holds (SKIP LOCKED).
"""

import asyncio
import contextlib
from collections.abc import Callable

import asyncpg
import structlog

from services.appointments.waitlist import queries, use_cases
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

# A round offers at most this many seats before it looks at expiries again (a schedule opening thousands).
OFFERS_PER_ROUND = 500
# After a failed round, the next is tried this soon, then twice as late each time, up to the poll.
RETRY_FIRST_SECONDS = 0.2
# Opening the listening connection may take this long before the round goes ahead without it.
LISTEN_CONNECT_SECONDS = 5.0


class OfferMatcher:
    def __init__(self, units: Callable[[], UnitOfWork], secret: bytes, dsn: str, poll_seconds: float) -> None:
        self._units = units
        self._secret = secret
        self._dsn = dsn
        self._poll_seconds = poll_seconds
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._listener: asyncpg.Connection | None = None

    def stop(self) -> None:
        """Return after the current transaction (runtime.add_worker's `stop`)."""
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        failures = 0
        try:
            while not self._stopping:
                await self._listen()
                # Cleared before the round rather than after it: a notice that arrives while the round runs
                # (a seat freed after its queries looked) makes the next one start at once.
                self._wakeup.clear()
                try:
                    await self.round()
                    failures = 0
                except Exception as exc:  # noqa: BLE001 - a database restart: the next round tries again
                    failures += 1
                    log.warning("waitlist_matcher_failed", error=type(exc).__name__, failures=failures)
                if self._stopping:  # asked while the wake-up was cleared: no pause to be woken from
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._pause(failures))
        finally:
            await self._close_listener()

    def _pause(self, failures: int) -> float:
        """Until the next round without a notice: the poll, or sooner after failed rounds (retried soon)."""
        if not failures:
            return self._poll_seconds
        return min(self._poll_seconds, RETRY_FIRST_SECONDS * 2.0 ** min(failures - 1, 16))

    async def round(self) -> int:
        """One pass over expiries, past entries and free seats; the number of seats offered."""
        expired = 0
        while not self._stopping and await use_cases.expire_next_offer(self._units()):
            expired += 1
        ended = await use_cases.end_past_entries(self._units())
        offered = 0
        while not self._stopping and offered < OFFERS_PER_ROUND:
            offer_id = await use_cases.offer_next_seat(self._units(), self._secret)
            if offer_id is None:
                break
            offered += 1
            log.info("waitlist_seat_offered", offer_id=str(offer_id))
        if expired or ended or offered:
            log.info("waitlist_round", offered=offered, expired=expired, ended=ended)
        if offered == OFFERS_PER_ROUND:
            self._wakeup.set()  # more to do: next round at once
        return offered

    async def _listen(self) -> None:
        """(Re)open the listening connection; without one the matcher still polls."""
        if self._listener is not None and not self._listener.is_closed():
            return
        await self._close_listener()
        try:
            self._listener = await queries.listen_for_seats(self._dsn, self._wakeup.set, LISTEN_CONNECT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - whatever it was, the matcher goes on polling and tries again
            log.warning("waitlist_listen_failed", error=type(exc).__name__)

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listener.close(), 2)
