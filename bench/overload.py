"""A rush against the waiting room: open-loop steps of new visitors at 0.5× to 3× the measured capacity.

python -m bench.overload [--capacity 1000] [--step-seconds 30] [--quick]

Each arrival is a new visitor who books once (POST /api/appointments through the gateway). Answered 429, they
keep the ticket of the `Waiting-Room-Ticket` header, wait Retry-After (the room's estimate of their turn, at
most its page refresh) and ask again with it, until admitted (the request that passes books) or until they
give up after GIVE_UP_SECONDS. They honour Retry-After rather than poll faster: a visitor asking every 2 s,
with a queue of 60,000 (3× capacity for 30 s), would alone send 30,000 requests a second. When a step's
arrivals end, visitors still waiting stop (counted); the operator's switch then closes the room (everyone left
is admitted: their tickets would otherwise hold the next step's arrivals behind them) and the next step starts
once the previous one's confirmations are out.

Capacity is the closed-loop booking run's bookings/s (wrk, concurrency 32) of the same run: the rate this
stack answers bookings at, the booking phase's headline figure. Alone, --capacity gives it or a 15 s wrk run
measures it. The FIFO check reads each ticket's number from its token (the number is its first field, signed,
not hidden) and reports two worst inversions, in seconds: "room", the longest a visitor was told to wait after
someone behind them in the queue had been admitted (the room's own order), and "observed", how much later a
visitor got in than someone behind them (which adds each visitor's own Retry-After sleep, whole seconds).
"""

import argparse
import asyncio
import itertools
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
import uvloop

from bench.catalogue import PATIENT, Catalogue
from bench.lean_http import LeanClient
from bench.loadgen import percentile_ms
from bench.plot import plot_sweep
from bench.stack import BENCH_DIR, close_room, prepared_stack
from bench.wrk_load import wrk_bookings
from devstack.supervisor import Supervisor
from shared.db import asyncpg_dsn
from shared.outbox import BACKLOG_SQL

FACTORS = (0.5, 1.0, 1.5, 2.0, 3.0)
STEP_SECONDS = 30.0
GIVE_UP_SECONDS = 60.0
CLIENT_TIMEOUT_SECONDS = 10.0
RETRY_CAP_SECONDS = 60.0  # the gate never asks an API client for more; a bound should it ever do
MAX_CONNECTIONS = 1024
SETTLE_BUDGET_SECONDS = 60.0
PATH = "/api/appointments"
TICKET_HEADER = b"waiting-room-ticket"
PENDING_SQL = "SELECT count(*) FROM deliveries WHERE status = 'pending'"
_visitors = itertools.count()


@dataclass
class Visitor:
    due: float
    ticket: str | None = None
    number: int | None = None
    # The last "wait" for this ticket and the admission: when the request left and when its answer came back (the
    # room decided in between).
    wait_sent: float | None = None
    wait_answered: float | None = None
    admitted_sent: float | None = None
    admitted_answered: float | None = None
    outcome: str = "waiting"


class Rush:
    def __init__(self, client: LeanClient, catalogue: Catalogue) -> None:
        self._client = client
        self._slots = [str(slot) for slot in catalogue.gateway_slots]
        self.closed = asyncio.Event()
        self.admitted_latencies: list[float] = []
        self.refusal_seconds: list[float] = []
        self.refusals_by_status: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.visitors: list[Visitor] = []
        self.booked_at: list[float] = []

    async def visit(self, visitor: Visitor) -> None:
        payload = orjson.dumps(
            {**PATIENT, "slot_id": random.choice(self._slots), "email": f"rush{next(_visitors)}@example.org"}
        )
        first = True
        while True:
            headers = [("waiting-room-ticket", visitor.ticket)] if visitor.ticket else []
            sent = time.perf_counter()
            try:
                answer = await self._client.request("POST", PATH, payload, headers)
            except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
                visitor.outcome = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
                self.errors[visitor.outcome] += 1
                return
            answered = time.perf_counter()
            if answer.status == 201:
                # The first request counts from when it was due, as an open loop must; a retry from when it left.
                self.admitted_latencies.append(answered - (visitor.due if first else sent))
                visitor.admitted_sent, visitor.admitted_answered, visitor.outcome = sent, answered, "booked"
                self.booked_at.append(answered)
                return
            if answer.status not in (429, 503):
                visitor.outcome = f"http {answer.status}"
                self.errors[visitor.outcome] += 1
                return
            self.refusal_seconds.append(answered - sent)
            self.refusals_by_status[answer.status] += 1
            token = answer.headers.get(TICKET_HEADER)
            if token is not None:
                ticket = token.decode()
                if ticket != visitor.ticket:  # a new place (the first, or a spent ticket's replacement)
                    visitor.ticket, visitor.number = ticket, int(ticket.split(".", 1)[0])
                visitor.wait_sent, visitor.wait_answered = sent, answered
            retry = min(float(answer.headers.get(b"retry-after", b"1")), RETRY_CAP_SECONDS)
            if answered + retry - visitor.due > GIVE_UP_SECONDS:
                visitor.outcome = "gave up"
                return
            try:
                await asyncio.wait_for(self.closed.wait(), retry)
            except TimeoutError:
                first = False
                continue
            visitor.outcome = "still waiting"
            return


def fifo_inversions(visitors: list[Visitor]) -> dict[str, float | int | None]:
    """Worst inversions in seconds (see the module's docstring). The room's is bracketed by when requests left
    and answers came back: at least `room_worst_s` (A's "wait" left after B's admission had come back), at most
    `room_worst_upper_s` (A's "wait" came back after B's admission had left)."""
    ticketed = sorted((v for v in visitors if v.number is not None), key=lambda v: v.number or 0)
    if not ticketed:
        return {"room_worst_s": None, "room_worst_upper_s": None, "observed_worst_s": None, "ticketed": 0}
    room, upper, observed = 0.0, 0.0, 0.0
    # Among visitors with a higher number: the earliest admission's answer, and its request's departure.
    first_answer_behind = first_sent_behind = float("inf")
    for visitor in reversed(ticketed):
        if visitor.wait_sent is not None and visitor.wait_answered is not None:
            room = max(room, visitor.wait_sent - first_answer_behind)
            upper = max(upper, visitor.wait_answered - first_sent_behind)
        if visitor.admitted_sent is not None and visitor.admitted_answered is not None:
            observed = max(observed, visitor.admitted_sent - first_sent_behind)
            first_sent_behind = min(first_sent_behind, visitor.admitted_sent)
            first_answer_behind = min(first_answer_behind, visitor.admitted_answered)
    return {
        "room_worst_s": round(room, 3),
        "room_worst_upper_s": round(upper, 3),
        "observed_worst_s": round(observed, 3),
        "ticketed": len(ticketed),
    }


async def rush_step(client: LeanClient, catalogue: Catalogue, rate: float, seconds: float) -> dict[str, Any]:
    rush = Rush(client, catalogue)
    tasks: set[asyncio.Task[None]] = set()
    loop_cpu, started = time.thread_time(), time.perf_counter()
    for n in range(int(rate * seconds)):
        due = started + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        visitor = Visitor(due)
        rush.visitors.append(visitor)
        task = asyncio.create_task(rush.visit(visitor))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.sleep(max(0.0, started + seconds - time.perf_counter()))
    rush.closed.set()
    ended = time.perf_counter()
    if tasks:
        await asyncio.gather(*tasks)
    loadgen_cpu = time.thread_time() - loop_cpu
    outcomes = Counter(v.outcome for v in rush.visitors)
    requests = len(rush.admitted_latencies) + len(rush.refusal_seconds) + sum(rush.errors.values())
    booked_in_window = sum(1 for t in rush.booked_at if t <= ended)
    return {
        "offered_per_s": rate,
        "seconds": seconds,
        "visitors": len(rush.visitors),
        "booked": outcomes["booked"],
        "achieved_per_s": round(booked_in_window / seconds, 1),
        "through_unqueued": sum(1 for v in rush.visitors if v.outcome == "booked" and v.number is None),
        "admitted_from_queue": sum(1 for v in rush.visitors if v.outcome == "booked" and v.number is not None),
        "p50_ms": percentile_ms(rush.admitted_latencies, 0.50),
        "p95_ms": percentile_ms(rush.admitted_latencies, 0.95),
        "p99_ms": percentile_ms(rush.admitted_latencies, 0.99),
        "max_ms": percentile_ms(rush.admitted_latencies, 1.0),
        "refused": len(rush.refusal_seconds),
        "refused_by_status": {str(k): v for k, v in rush.refusals_by_status.items()},
        "refusal_p50_ms": percentile_ms(rush.refusal_seconds, 0.50),
        "refusal_p99_ms": percentile_ms(rush.refusal_seconds, 0.99),
        "refusal_max_ms": percentile_ms(rush.refusal_seconds, 1.0),
        "timeouts": rush.errors["timeout"],
        "errors": dict(rush.errors),
        "still_waiting_at_end": outcomes["still waiting"],
        "gave_up": outcomes["gave up"],
        "fifo": fifo_inversions(rush.visitors),
        "requests": requests,
        "loadgen_cpu_cores": round(loadgen_cpu / (time.perf_counter() - started), 3),
        "loadgen_ms_per_request": round(loadgen_cpu * 1000 / requests, 3) if requests else None,
    }


async def settle(supervisor: Supervisor) -> float:
    """Closes the room (the operator's switch: everyone waiting is admitted, abandoned tickets with them), then
    waits until the last step's confirmations are out, so the next step starts on a calm stack."""
    config = supervisor.config
    await close_room(config)
    appointments = await asyncpg.connect(asyncpg_dsn(config.database_urls["appointments"]))
    notifications = await asyncpg.connect(asyncpg_dsn(config.database_urls["notifications"]))
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < SETTLE_BUDGET_SECONDS:
            backlog = await appointments.fetchrow(BACKLOG_SQL)
            pending = await notifications.fetchval(PENDING_SQL)
            if backlog is not None and backlog["n"] == 0 and pending == 0:
                break
            await asyncio.sleep(0.5)
    finally:
        await appointments.close()
        await notifications.close()
    await asyncio.sleep(1.0)  # the replicas read the closed room (every 0.2 s) and the last sends finish
    return round(time.perf_counter() - started, 1)


async def overload_phase(
    supervisor: Supervisor, catalogue: Catalogue, capacity: float, step_seconds: float, capacity_source: str
) -> dict[str, Any]:
    steps = []
    client = LeanClient(supervisor.config.url("gateway"), MAX_CONNECTIONS, CLIENT_TIMEOUT_SECONDS)
    try:
        for factor in FACTORS:
            settled = await settle(supervisor)
            step = await rush_step(client, catalogue, round(capacity * factor), step_seconds)
            steps.append({"factor": factor, "settle_seconds_before": settled, **step})
    finally:
        await client.close()
    return {"capacity_per_s": capacity, "capacity_source": capacity_source, "steps": steps}


def measure_capacity(supervisor: Supervisor, catalogue: Catalogue, seconds: float) -> float:
    patient = {key: value for key, value in PATIENT.items() if key != "email"}
    url = supervisor.config.url("gateway") + PATH
    summary = wrk_bookings(url, catalogue.gateway_slots, patient, "capacity", 32, seconds)
    return float(summary["rps"])


def step_line(step: dict[str, Any]) -> str:
    fifo = step["fifo"]
    return (
        f"{step['factor']}× offered {step['offered_per_s']}/s: booked {step['achieved_per_s']}/s "
        f"({step['through_unqueued']} unqueued, {step['admitted_from_queue']} from the queue), admitted p99 "
        f"{step['p99_ms']} ms; refused {step['refused']} {step['refused_by_status']} p50/p99/max "
        f"{step['refusal_p50_ms']}/{step['refusal_p99_ms']}/{step['refusal_max_ms']} ms; timeouts {step['timeouts']}, "
        f"errors {step['errors']}; still waiting {step['still_waiting_at_end']}, gave up {step['gave_up']}; FIFO "
        f"room {fifo['room_worst_s']}-{fifo['room_worst_upper_s']} s observed {fifo['observed_worst_s']} s; "
        f"load generator {step['loadgen_ms_per_request']} ms/request ({step['loadgen_cpu_cores']} core)"
    )


def rush_title(figures: dict[str, Any]) -> str:
    return f"A rush against the waiting room: capacity {figures['capacity_per_s']:.0f}/s, {os.cpu_count()} CPUs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overload", description=__doc__.splitlines()[0])
    parser.add_argument("--capacity", type=float, help="bookings/s; measured by a closed-loop wrk run if absent")
    parser.add_argument("--step-seconds", type=float, default=STEP_SECONDS)
    parser.add_argument("--quick", action="store_true", help="5 s steps: for iterating")
    args = parser.parse_args(argv)
    if args.quick:
        args.step_seconds = 5.0
    load = [round(x, 2) for x in os.getloadavg()]
    with prepared_stack() as (supervisor, _sink, catalogue):
        source = "given"
        if args.capacity is None:
            args.capacity, source = measure_capacity(supervisor, catalogue, 5 if args.quick else 15), "wrk"
        figures = uvloop.run(overload_phase(supervisor, catalogue, args.capacity, args.step_seconds, source))
    figures["load_average_at_start"] = load
    (BENCH_DIR / "overload.json").write_text(json.dumps(figures, indent=2) + "\n")
    plot_sweep(figures["steps"], BENCH_DIR / "sweep.png", rush_title(figures))
    print(f"capacity {figures['capacity_per_s']}/s ({source}); load average at start {load}")
    for step in figures["steps"]:
        print(step_line(step))
    return 0


if __name__ == "__main__":
    sys.exit(main())
