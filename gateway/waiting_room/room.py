"""One replica's view of the waiting room: the shared state read in the background, the local load measured.

The request path reads only memory here, except a new visitor's ticket (one `nextval`): a queued answer costs
no more than that. The shared counter is read, and advanced by this replica's step, every `refresh_seconds` by
a background task, so between reads a replica may see it up to that much behind: a visitor is let in at most
that late. Each refresh also sets this replica's admission rate from the load it measured (rules.next_admit_rate).
Every statement is bounded (open_pool, queries.ACQUIRE_TIMEOUT_SECONDS): with the database away the room
decides without it (rules.without_store) within a second.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable

import asyncpg
import structlog
from prometheus_client import Counter, Gauge

from gateway.waiting_room import queries
from gateway.waiting_room.gathered import Gathered
from gateway.waiting_room.rules import (
    Budget,
    Load,
    RateBounds,
    RoomState,
    Ticket,
    admissions_due,
    counter_speed,
    ewma,
    next_admit_rate,
    within_request_cap,
)

log = structlog.get_logger(__name__)

OPEN = Gauge(
    "clinic_waiting_room_open", "1 while new visitors to booking and search are queued (operator or overload).",
    multiprocess_mode="livemax",
)  # fmt: skip
QUEUE_LENGTH = Gauge(
    "clinic_waiting_room_queue_length", "Tickets drawn and not yet admitted (last ticket - admitted up to).",
    multiprocess_mode="livemax",
)  # fmt: skip
IN_FLIGHT = Gauge(
    "clinic_waiting_room_in_flight", "Guarded requests let through and not yet answered, this process.",
    multiprocess_mode="livesum",
)  # fmt: skip
ADMIT_RATE = Gauge(
    "clinic_waiting_room_admit_rate",
    "Visitors a second this process lets in from the queue: its admission rate, set from its measured load.",
    multiprocess_mode="livesum",
)
DECISIONS = Counter(
    "clinic_waiting_room_decisions",
    "Guarded requests by the waiting room's answer: through (room not in use), admitted (an admission or a "
    "ticket whose turn came), queued (a new ticket), waiting (a ticket whose turn has not come).",
    ["outcome"],
)
LATENCY_WEIGHT = 0.05  # about the last 20 guarded requests' latency
SPEED_WEIGHT = 0.2  # the counter's speed over about the last 5 reads (a second at the default refresh)

# Nobody waits and nobody opened the room: what a replica assumes until its first read.
CLOSED = RoomState(opened_by_operator=False, admitted_up_to=0, last_ticket=0)

# asyncpg waits a minute for a connection by default: a silent database would hold each request that long.
CONNECT_TIMEOUT_SECONDS = 1.0
STATEMENT_TIMEOUT_SECONDS = 0.5
# Admitted tickets' records are cleared of those past their lifetime this often (by every replica: cheap).
FORGET_EVERY_SECONDS = 60.0
# A state not read for this long (the background task gone, say) is stale as a failed read is.
STALE_AFTER_SECONDS = 5.0


async def _kept_as_is(connection: asyncpg.Connection) -> None:
    """The room's statements are single autocommit statements that leave no session state (no SET, LISTEN,
    advisory lock or open transaction): there is nothing to reset when a connection goes back to the pool."""


async def open_pool(dsn: str) -> asyncpg.Pool:
    # min_size=0: a gateway starts while its database is away; the room then decides without it.
    # reset: asyncpg's default sends a reset query each time a connection goes back to the pool, a second round
    # trip for every statement of the room (13% of the gateway's samples in the bench's rush).
    return await asyncpg.create_pool(
        dsn,
        min_size=0,
        max_size=4,
        timeout=CONNECT_TIMEOUT_SECONDS,
        command_timeout=STATEMENT_TIMEOUT_SECONDS,
        reset=_kept_as_is,
    )


# What a statement of the room raises when its database is away, refuses it or is too slow to answer.
STORE_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class WaitingRoom:
    def __init__(
        self,
        pool: asyncpg.Pool | None,
        key: bytes,
        *,
        opened_by_setting: bool,
        budget: Budget,
        admit_per_second: float,
        admit_bounds: RateBounds,
        refresh_seconds: float,
        ticket_seconds: int,
        admission_seconds: int,
        admission_grace_seconds: int,
        admission_max_requests: int,
        page_refresh_seconds: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pool = pool
        self.key = key
        self.opened_by_setting = opened_by_setting
        self.budget = budget
        # This replica's admission rate: where it starts, then what its measured load makes of it.
        self.admit_per_second = min(admit_bounds.ceiling, max(admit_bounds.floor, admit_per_second))
        self.admit_bounds = admit_bounds
        # The counter's speed seen across reads while someone waited: every replica's admissions together.
        self.counter_speed = 0.0
        self.refresh_seconds = refresh_seconds
        self.ticket_seconds = ticket_seconds
        self.admission_seconds = admission_seconds
        self.admission_grace_seconds = admission_grace_seconds
        self.admission_max_requests = admission_max_requests
        self.page_refresh_seconds = page_refresh_seconds
        self.state = CLOSED
        self.in_flight = 0
        self.latency_ewma = 0.0
        self._completed = 0  # guarded requests answered since the last refresh
        self._clock = clock
        self._stepped_at: float | None = None
        self._credit = 0.0  # the fraction of a visitor due, carried to the next step
        self._reading_failed = False
        self._read_at: float | None = None
        self._forgotten_at: float | None = None
        # Per admission (its ticket's number), this replica's count of requests it let through, and its expiry.
        self._admission_uses: dict[int, tuple[int, int]] = {}
        # The statements a rush sends hundreds at a time, each round trip carrying all who came meanwhile.
        self._draws: Gathered[None, int] = Gathered(self._draw_tickets)
        self._admissions: Gathered[int, float | None] = Gathered(self._record_admissions)

    @property
    def enabled(self) -> bool:
        return self.pool is not None

    def effective(self) -> RoomState:
        state = self.state
        if self.opened_by_setting and not state.opened_by_operator:
            return RoomState(True, state.admitted_up_to, state.last_ticket)
        return state

    @property
    def stale(self) -> bool:
        """Whether the shared state could not be read lately (the last read failed, or none for a while)."""
        if self._reading_failed:
            return True
        return self._read_at is not None and self._clock() - self._read_at > STALE_AFTER_SECONDS

    def overloaded(self) -> bool:
        return self.budget.exceeded_by(Load(self.in_flight, self.latency_ewma))

    def service_rate(self) -> float:
        """Visitors a second the queue moves at, for a queued visitor's estimated wait: the counter's measured
        speed (all replicas), or this replica's own rate while that is not known or lower."""
        return max(self.admit_per_second, self.counter_speed)

    def entered(self) -> float:
        self.in_flight += 1
        IN_FLIGHT.inc()
        return time.perf_counter()

    def left(self, started: float) -> None:
        self.in_flight -= 1
        self._completed += 1
        IN_FLIGHT.dec()
        self.latency_ewma = ewma(self.latency_ewma, time.perf_counter() - started, LATENCY_WEIGHT)

    async def draw(self) -> Ticket:
        """A new place at the end of the queue (visitors arriving together are numbered together: gathered.py)."""
        number = await self._draws(None)
        # The drawn ticket is the newest: this replica's queue length is right before its next read.
        self.state = RoomState(
            self.state.opened_by_operator, self.state.admitted_up_to, max(number, self.state.last_ticket)
        )
        return Ticket(number, int(time.time()))

    def use_admission(self, ticket_number: int, expires_at: int) -> bool:
        """Counts a request on an admission; False once past its cap (rules.within_request_cap)."""
        uses = self._admission_uses.get(ticket_number, (0, expires_at))[0] + 1
        self._admission_uses[ticket_number] = (uses, expires_at)
        return within_request_cap(uses, self.admission_max_requests)

    def _forget_expired_admissions(self) -> None:
        now = time.time()
        self._admission_uses = {n: used for n, used in self._admission_uses.items() if used[1] > now}

    async def record_admission(self, ticket: Ticket) -> float | None:
        """Seconds since the ticket was first admitted (about 0 the first time; None: at this very moment)."""
        return await self._admissions(ticket.number)

    async def _draw_tickets(self, visitors: list[None]) -> list[int]:
        assert self.pool is not None
        return await queries.draw_tickets(self.pool, len(visitors))

    async def _record_admissions(self, tickets: list[int]) -> list[float | None]:
        assert self.pool is not None
        return await queries.record_admissions(self.pool, tickets)

    async def refresh(self) -> None:
        """Reads the shared state, advancing the counter by this replica's step, then sets its rate from the load
        it measured since the last refresh. Raises STORE_ERRORS (or LookupError) when the store is away: the
        time since the last step is then lost, not banked."""
        assert self.pool is not None
        now = self._clock()
        elapsed = 0.0 if self._stepped_at is None else now - self._stepped_at
        # Taken before the round trip, so that a refresh running meanwhile (the console's) counts from here.
        self._stepped_at = now
        step, self._credit = admissions_due(self._credit, self.admit_per_second, elapsed)
        completed, self._completed = self._completed, 0
        before = self.state
        self.state = await queries.read_and_advance(self.pool, step)
        read_at, self._read_at = self._read_at, self._clock()
        someone_waits = self.state.waiting > 0
        if not someone_waits:
            self._credit = 0.0  # nobody to admit: no burst banked for the next rush
        elif before.waiting > 0 and read_at is not None:  # the counter was held by the rates all along
            moved = self.state.admitted_up_to - before.admitted_up_to
            self.counter_speed = counter_speed(self.counter_speed, moved, self._read_at - read_at, SPEED_WEIGHT)
        # Idle (nothing answered, nothing in flight), the latency average is that of requests long gone.
        idle = completed == 0 and self.in_flight == 0
        if idle:
            # Forgotten, so that a replica gone quiet after a slow spell does not keep queueing new visitors as
            # if it were still overloaded (its average only moves when a guarded request completes).
            self.latency_ewma = 0.0
        load = Load(self.in_flight, self.latency_ewma)
        self.admit_per_second = next_admit_rate(
            self.admit_per_second,
            load,
            self.budget,
            self.admit_bounds,
            someone_waits=someone_waits,
            elapsed_seconds=elapsed,
        )
        ADMIT_RATE.set(self.admit_per_second)
        shown = self.effective()
        OPEN.set(1 if shown.opened_by_operator or self.overloaded() or shown.waiting else 0)
        QUEUE_LENGTH.set(shown.waiting)
        if self._forgotten_at is None or self._clock() - self._forgotten_at > FORGET_EVERY_SECONDS:
            self._forgotten_at = self._clock()
            self._forget_expired_admissions()
            try:  # a housekeeping failure leaves the state read fresh: the next round tries again
                await queries.forget_admissions(self.pool, self.ticket_seconds + 60)
            except STORE_ERRORS as exc:
                log.warning("waiting_room_admissions_not_forgotten", error=type(exc).__name__)

    async def set_opened(self, opened: bool) -> RoomState:
        assert self.pool is not None
        self.state = await queries.set_opened(self.pool, opened)
        return self.effective()

    async def follow(self) -> None:
        """The background read, for the app's lifetime. A failed read keeps the last state (logged once until
        a read succeeds again), marked stale: the room then decides without it (rules.without_store)."""
        while True:
            try:
                await self.refresh()
            except (*STORE_ERRORS, LookupError) as exc:
                if not self._reading_failed:
                    log.warning("waiting_room_state_unreadable", error=type(exc).__name__)
                self._reading_failed = True
            else:
                if self._reading_failed:
                    log.info("waiting_room_state_readable")
                self._reading_failed = False
            await asyncio.sleep(self.refresh_seconds)

    async def close(self) -> None:
        if self.pool is not None:
            with contextlib.suppress(Exception):
                await self.pool.close()
