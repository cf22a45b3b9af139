"""The waiting room's pure rules: signed tickets and admissions, who passes, who waits, and for how long.

A ticket is a number from one PostgreSQL sequence (shared by every gateway replica, so one FIFO order) and
its issue time, signed with the gateway's secret: the position is the signed number, never something a
client can write. A visitor passes when their number is at most the shared "admitted up to" counter; they then
get an admission, signed and short-lived, that lets them pass without queueing again. Each replica advances the
counter by its own admission rate, which follows the load it measures (next_admit_rate): the counter moves at
the sum of the replicas' rates, each replica letting in about what it can serve (visitors are balanced across
replicas), whatever the platform's capacity that day. A ticket mints its admission once (admission_mintable):
it is no pass for its life. A forged, foreign or expired token is no ticket at all: its holder draws a new
one, at the end of the queue.
"""

import base64
import hashlib
import hmac
import math
from dataclasses import dataclass
from enum import Enum

# Distinct purposes, so a ticket can never be replayed as an admission nor the reverse, nor either as the
# data-export link the same key signs.
_TICKET_PURPOSE = b"waiting-room-ticket:"
_ADMISSION_PURPOSE = b"waiting-room-admission:"


@dataclass(frozen=True)
class Ticket:
    number: int
    issued_at: int  # Unix seconds


@dataclass(frozen=True)
class RoomState:
    """What a replica last read of the shared state (cached for a fraction of a second)."""

    opened_by_operator: bool
    admitted_up_to: int
    last_ticket: int

    @property
    def waiting(self) -> int:
        """Visitors holding a ticket not yet admitted (abandoned tickets included: they drain at the rate)."""
        return max(0, self.last_ticket - self.admitted_up_to)


@dataclass(frozen=True)
class Load:
    """This replica's measured load on the guarded routes."""

    in_flight: int
    latency_ewma_seconds: float


@dataclass(frozen=True)
class Budget:
    max_in_flight: int
    latency_budget_seconds: float

    def exceeded_by(self, load: Load) -> bool:
        return load.in_flight >= self.max_in_flight or load.latency_ewma_seconds > self.latency_budget_seconds

    def comfortably_within(self, load: Load) -> bool:
        """Within half of both limits: room to serve more visitors than now."""
        return 2 * load.in_flight < self.max_in_flight and 2 * load.latency_ewma_seconds <= self.latency_budget_seconds


@dataclass(frozen=True)
class RateBounds:
    """Where one replica's admission rate may go (visitors a second): the floor keeps the queue moving however
    loaded the replica, the ceiling bounds what a replica that measures no load at all lets in."""

    floor: float
    ceiling: float


class Verdict(Enum):
    THROUGH = "through"  # nothing to queue for: the request goes through, no admission needed
    ADMIT = "admit"  # their ticket's turn came: through, with an admission for the next requests
    DRAW = "draw"  # a new visitor while the room is in use: draws a ticket at the end of the queue
    WAIT = "wait"  # a valid ticket whose turn has not come
    REFUSE = "refuse"  # the shared store away and this replica over its budget: ask again later, no ticket


def without_store(overloaded: bool) -> Verdict:
    """The waiting room's policy when its shared store (the gateway's database) is away: fail open, bounded.

    The store is away when the background read of the shared state keeps failing (the state is stale: the
    counter cannot be seen to move, so a ticket would never be admitted) or a request's own statement (a
    ticket's draw, an admission's record) fails. Every statement is bounded (room.py: a connection within a
    second, a statement or a wait for the pool within half a second), so a silent database costs a request
    at most that, never the driver's minute. Then nobody is queued, ticket holders included (the queue cannot
    move, and a ticket keeps its place for when the store is back): requests pass while this replica is within
    its own budget (in-flight and latency), and are refused, with a Retry-After and no ticket, while it is
    over it, so a rush meets a bounded refusal rather than a replica buried under it.
    """
    return Verdict.REFUSE if overloaded else Verdict.THROUGH


def decide(state: RoomState, overloaded: bool, ticket: Ticket | None, *, stale: bool = False) -> Verdict:
    """For a request holding no valid admission; `stale` when the shared state could not be read lately.

    A new visitor passes only when the room is closed, this replica is within budget and nobody is waiting:
    otherwise they would overtake those already queued. A stale state decides nothing: see without_store.
    """
    if stale:
        return without_store(overloaded)
    if ticket is not None:
        return Verdict.ADMIT if ticket.number <= state.admitted_up_to else Verdict.WAIT
    if not state.opened_by_operator and not overloaded and state.waiting == 0:
        return Verdict.THROUGH
    return Verdict.DRAW


def admission_mintable(seconds_since_first: float | None, grace_seconds: float) -> bool:
    """A ticket mints its admission once; presented again, only within the grace (an answer lost on the way, a
    double click): after it, the ticket is spent and its holder draws a new one at the end of the queue. None:
    recorded at this very moment by another request."""
    return seconds_since_first is None or seconds_since_first <= grace_seconds


def position(ticket: Ticket, state: RoomState) -> int:
    """1 for the next to be admitted."""
    return max(1, ticket.number - state.admitted_up_to)


def estimated_wait_seconds(place: int, admit_per_second: float) -> int:
    """Whole seconds, at least 1: the counter admits `admit_per_second` visitors a second."""
    return max(1, math.ceil(place / max(admit_per_second, 1e-9)))


def counter_speed(previous: float, admitted: int, elapsed_seconds: float, weight: float) -> float:
    """The counter's speed as a replica sees it between two reads (every replica's advances together), averaged:
    what a queued visitor's wait is estimated from, when the replicas' rates are each known only to itself."""
    if elapsed_seconds <= 0:
        return previous
    return ewma(previous, max(0, admitted) / elapsed_seconds, weight)


# An API client in the queue is asked to come back a little before their estimated turn (a person's page polls on
# its own period): the rate may rise meanwhile, and a visitor late to their turn is an admission the rate counted
# on that comes as load later. Not much before: each check is a request the replicas serving the admitted must
# answer. Asked back at half their wait (a factor of 2), a visitor checked about log2(wait) times; the bench's rush
# (bench/RESULTS.md, two rounds each way, 0.5x to 3x of 1,000/s) with 1.1 sent 12-35% fewer checks, booked more at
# every step but 1.5x (10% fewer there), and from 1.5x up answered those waiting faster (p99 at 3x 0.5-0.7 s
# against 0.7-1.7 s; at 1x 0.3-0.6 s against 0.3-0.5 s). Rounded up to whole seconds, a wait of a few seconds is
# asked back at about the estimate itself.
RETRY_EARLY_FACTOR = 1.1
# The longest an API client is asked to wait before checking again. A person's page refreshes sooner (its own
# period, to show the place moving), but a program needs no reassurance, and every check costs the gateway a
# request: with 30,000 visitors waiting, checks every 15 s were 2,000 requests a second on the replicas that also
# serve the admitted (the bench's rush at 3x capacity); with this bound those far back check once a minute.
API_RETRY_AFTER_CAP_SECONDS = 60


def retry_after_for(place: int, admit_per_second: float, refresh_seconds: int) -> int:
    """When a queued visitor at `place` is asked to check again (Retry-After): early, see RETRY_EARLY_FACTOR."""
    early_wait = estimated_wait_seconds(place, RETRY_EARLY_FACTOR * admit_per_second)
    return retry_after_seconds(early_wait, refresh_seconds)


def retry_after_seconds(wait_seconds: int, refresh_seconds: int) -> int:
    """When to ask again: at the estimated turn, but never later than the page's refresh period (the counter
    may move faster than estimated) nor sooner than a second."""
    return max(1, min(wait_seconds, refresh_seconds))


# A replica's rate changes by these factors a second (so by a fraction of them each refresh, whatever the refresh
# period): ×1.1 a second while it has room to spare and someone waits, ×0.8 a second while it is over its
# budget. Multiplicative both ways, because a replica's capacity may be 5 or 2,000 visitors a second: an
# additive step fit for one would take minutes at the other. Between half its budget and its budget the rate
# holds: that band is where a replica at its capacity sits, so the rate settles there instead of sawing. Gentle,
# because an admission shows up as load only when its holder comes back (Retry-After, up to the page's refresh
# period): a faster rise admits, before the load shows, more than the platform then serves in time (a
# simulation of a rush at 3x capacity with these rules: about 89% of capacity booked, admitted p99 about
# 200 ms, where x1.3 and x0.5 sawed between overload and a third of capacity).
RATE_RISE_PER_SECOND = 1.1
RATE_FALL_PER_SECOND = 0.8
# The longest interval one refresh accounts for: after a failed read or a stalled loop, the interval is not
# made up for in one burst of admissions, nor in one leap of the rate.
MAX_STEP_SECONDS = 1.0


def next_admit_rate(
    rate: float, load: Load, budget: Budget, bounds: RateBounds, *, someone_waits: bool, elapsed_seconds: float
) -> float:
    """One replica's admission rate after `elapsed_seconds` under `load` (measured since its last refresh).

    It falls while the replica is over its budget, and rises only while the replica has room to spare and the
    rate is what holds the queue (someone still waits): with nobody waiting the rate is not being tried, so it
    learns nothing (as TCP grows no window it does not use), and a quiet hour does not push it to the ceiling.
    """
    elapsed = min(max(0.0, elapsed_seconds), MAX_STEP_SECONDS)
    if budget.exceeded_by(load):
        rate *= RATE_FALL_PER_SECOND**elapsed
    elif someone_waits and budget.comfortably_within(load):
        rate *= RATE_RISE_PER_SECOND**elapsed
    return min(bounds.ceiling, max(bounds.floor, rate))


def admissions_due(credit: float, rate: float, elapsed_seconds: float) -> tuple[int, float]:
    """Whole visitors this replica admits now at `rate`, and the fraction carried to its next refresh (so a slow
    rate still admits). The caller drops the carry when nobody waits: an idle spell banks no burst."""
    due = credit + rate * min(max(0.0, elapsed_seconds), MAX_STEP_SECONDS)
    whole = math.floor(due)
    return whole, due - whole


def advanced_counter(admitted_up_to: int, last_ticket: int, step: int) -> int:
    """The counter after a replica's step, never past the last ticket drawn (what is not needed is lost, not
    banked) nor backwards.

    The SQL that advances the shared counter (queries.py) computes the same; this is its specification.
    """
    if step <= 0 or admitted_up_to >= last_ticket:
        return admitted_up_to
    return min(last_ticket, admitted_up_to + step)


def ewma(previous: float, sample: float, weight: float) -> float:
    return previous + weight * (sample - previous)


# --- signed tokens ---


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signature(key: bytes, purpose: bytes, body: str) -> str:
    return _b64(hmac.new(key, purpose + body.encode(), hashlib.sha256).digest()[:20])


def _signed(key: bytes, purpose: bytes, first: int, second: int) -> str:
    body = f"{first}.{second}"
    return f"{body}.{_signature(key, purpose, body)}"


def _verified(key: bytes, purpose: bytes, token: str) -> tuple[int, int] | None:
    if len(token) > 100:
        return None
    first, _, rest = token.partition(".")
    second, _, signature = rest.partition(".")
    if not (first.isdigit() and second.isdigit() and first.isascii() and second.isascii()):
        return None
    expected = _signature(key, purpose, f"{first}.{second}")
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return None
    return int(first), int(second)


def sign_ticket(key: bytes, ticket: Ticket) -> str:
    return _signed(key, _TICKET_PURPOSE, ticket.number, ticket.issued_at)


def read_ticket(key: bytes, token: str, now: float, lifetime_seconds: float) -> Ticket | None:
    """The ticket, or None when forged, altered, issued in the future or older than its lifetime."""
    fields = _verified(key, _TICKET_PURPOSE, token)
    if fields is None:
        return None
    ticket = Ticket(*fields)
    if ticket.issued_at > now + 5 or now - ticket.issued_at > lifetime_seconds:
        return None
    return ticket


def sign_admission(key: bytes, ticket_number: int, expires_at: int) -> str:
    return _signed(key, _ADMISSION_PURPOSE, ticket_number, expires_at)


def read_admission(key: bytes, token: str, now: float) -> tuple[int, int] | None:
    """The admitted ticket's number and the admission's expiry, or None when forged, altered or expired."""
    fields = _verified(key, _ADMISSION_PURPOSE, token)
    return fields if fields is not None and now < fields[1] else None


def admission_valid(key: bytes, token: str, now: float) -> bool:
    return read_admission(key, token, now) is not None


def within_request_cap(uses: int, cap: int) -> bool:
    """An admission is a bearer token: it lets through this many guarded requests (counted by each replica, so
    at most that many times the replicas), enough for a visitor's booking, not for a script's rush."""
    return uses <= cap
