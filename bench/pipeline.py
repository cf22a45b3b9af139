"""The whole pipeline at a sustained offered rate: bookings open loop through the gateway, then each one's
confirmation e-mail accepted by the SMTP sink.

python -m bench.pipeline [--rates 400 700 1000] [--seconds 60] [--quick]

For each offered rate: S seconds of bookings (open loop, each a different patient; a client the waiting room
turns away waits Retry-After and asks again with its ticket, as the room asks, for up to a minute), then a
bounded drain until every answered booking's confirmation reached the sink. Booking latency counts from when
the booking was due, waiting room included. Sampled every second through run and drain:
the appointments outbox (unpublished rows, oldest age), the notifications queue, the pending deliveries and
the sink's count. CPU per confirmed booking of every platform process is taken over run and drain, so every
confirmation's work is counted; the mail sink and the load generator are reported apart (not the platform's
cost). Alone it starts its own stack and writes bench/pipeline.json and bench/pipeline.png; `make bench`
runs it as one of its phases.
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aio_pika
import asyncpg
import orjson
import uvloop

from bench import cpu
from bench.catalogue import PATIENT, Catalogue
from bench.lean_http import LeanClient
from bench.loadgen import percentile_ms
from bench.openloop import open_loop
from bench.plot import plot_pipeline
from bench.stack import BENCH_DIR, close_room, prepared_stack, process_groups
from devstack.mail_sink import MailSink
from devstack.supervisor import StackConfig, Supervisor
from shared.db import asyncpg_dsn
from shared.outbox import BACKLOG_SQL

RATES = (400, 700, 1000)
SECONDS = 60.0
DRAIN_BUDGET_SECONDS = 120.0
SAMPLE_SECONDS = 1.0
CLIENT_TIMEOUT_SECONDS = 10.0
# Far above rate × latency when the stack keeps up; reached only when it does not (then counted as skipped).
MAX_IN_FLIGHT = 100_000  # clients waiting in the waiting room count as in flight
MAX_CONNECTIONS = 1024
GIVE_UP_SECONDS = 60.0
RETRY_CAP_SECONDS = 60.0  # the gate never asks an API client for more
TICKET_HEADER = b"waiting-room-ticket"
PAUSE_SECONDS = 3.0
WARM_UP_RATE = 100.0
WARM_UP_SECONDS = 3.0
TARGET_PER_S = 1000
# "Kept pace": the outbox's oldest event stayed younger than this, the queue did not grow over the run's
# second half, and the confirmations' p99 stayed under the limit.
OLDEST_AGE_LIMIT_SECONDS = 5.0
CONFIRMATION_P99_LIMIT_MS = 5000.0
ANSWERED_SHARE = 0.99
PATH = "/api/appointments"
PENDING_SQL = "SELECT count(*) FROM deliveries WHERE status = 'pending'"


def sink_thread_id(sink: MailSink) -> int | None:
    """The native id of the thread aiosmtpd's controller serves SMTP on (its CPU is the sink's)."""
    thread = getattr(getattr(sink, "_controller", None), "_thread", None)
    return getattr(thread, "native_id", None)


@dataclass
class Confirmations:
    """First acceptance time of each recipient under `prefix`, read incrementally from the sink."""

    sink: MailSink
    prefix: str
    first: dict[str, float] = field(default_factory=dict)
    transmissions: int = 0
    _seen: int = 0

    def update(self) -> int:
        mails = self.sink.transmissions()
        for mail in mails[self._seen :]:
            for recipient in mail.recipients:
                if recipient.startswith(self.prefix):
                    self.transmissions += 1
                    if recipient not in self.first:
                        self.first[recipient] = datetime.fromisoformat(mail.received_at).timestamp()
        self._seen = len(mails)
        return len(self.first)


class Sampler:
    """One connection per store, opened once: a sample each second must not cost a connection each."""

    def __init__(self, config: StackConfig, sink: MailSink) -> None:
        self._config, self._sink = config, sink
        self._queue = f"{config.bus_namespace}notifications"
        self.samples: list[dict[str, Any]] = []

    async def __aenter__(self) -> "Sampler":
        self._appointments = await asyncpg.connect(asyncpg_dsn(self._config.database_urls["appointments"]))
        self._notifications = await asyncpg.connect(asyncpg_dsn(self._config.database_urls["notifications"]))
        self._broker = await aio_pika.connect(self._config.amqp_url)
        self._channel = await self._broker.channel()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._appointments.close()
        await self._notifications.close()
        await self._broker.close()

    async def _queue_depth(self) -> int | None:
        try:
            declared = await self._channel.declare_queue(self._queue, passive=True)
        except (aio_pika.exceptions.ChannelClosed, aio_pika.exceptions.ChannelInvalidStateError):
            self._channel = await self._broker.channel()  # a passive declare of a missing queue closes it
            return None
        return declared.declaration_result.message_count

    async def sample(self, started: float) -> dict[str, Any]:
        backlog = await self._appointments.fetchrow(BACKLOG_SQL)
        assert backlog is not None
        return {
            "t": round(time.perf_counter() - started, 2),
            "outbox_unpublished": backlog["n"],
            "outbox_oldest_s": round(float(backlog["age"]), 2) if backlog["age"] is not None else 0.0,
            "queue_depth": await self._queue_depth(),
            "deliveries_pending": await self._notifications.fetchval(PENDING_SQL),
            "sink_received": len(self._sink.transmissions()),
        }

    async def run(self, started: float, stop: asyncio.Event) -> None:
        """Until `stop` is set (not cancelled: a broker call cut short closes its channel); the sink's count
        is made relative to the first sample."""
        base: int | None = None
        while not stop.is_set():
            taken = await self.sample(started)
            base = taken["sink_received"] if base is None else base
            taken["sink_received"] -= base
            self.samples.append(taken)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS - (time.perf_counter() - started) % SAMPLE_SECONDS)


def _at(samples: list[dict[str, Any]], t: float, key: str) -> int:
    """The value of the last sample taken at or before t."""
    value = 0
    for sample in samples:
        if sample["t"] > t:
            break
        value = sample[key] or 0
    return value


def kept_pace(step: dict[str, Any], rate: float, seconds: float) -> dict[str, Any]:
    run = [s for s in step["series"] if s["t"] <= seconds + SAMPLE_SECONDS]
    oldest = max((s["outbox_oldest_s"] for s in run), default=0.0)
    mid, end = _at(run, seconds / 2, "queue_depth"), _at(run, seconds, "queue_depth")
    # Bounded: not doubled over the run's second half (a tenth of a second of bookings is noise, not growth)
    # and under one second of bookings.
    bounded = end <= 2 * mid + rate / 10 and end < rate
    p99 = step["confirmations"]["latency_p99_ms"]
    checks = {
        "outbox_oldest_max_s": oldest,
        "queue_depth_mid": mid,
        "queue_depth_end": end,
        "queue_bounded": bounded,
        "confirmation_p99_ms": p99,
        "all_confirmed": step["confirmations"]["missing_after_drain"] == 0,
        # A rate the gateway turned away (the waiting room's 429) was not carried, however calm the pipeline.
        "answered_all": step["answered_per_s"] >= ANSWERED_SHARE * rate,
    }
    checks["kept_pace"] = (
        oldest < OLDEST_AGE_LIMIT_SECONDS
        and bounded
        and p99 is not None
        and p99 < CONFIRMATION_P99_LIMIT_MS
        and checks["all_confirmed"]
        and checks["answered_all"]
    )
    return checks


async def pipeline_step(
    supervisor: Supervisor, sink: MailSink, catalogue: Catalogue, rate: float, seconds: float, drain_budget: float
) -> dict[str, Any]:
    prefix = f"pipeline{int(rate)}-"
    patient = dict(PATIENT)
    answered: dict[str, float] = {}
    numbers = itertools.count()
    confirmations = Confirmations(sink, prefix)
    confirmations.update()
    slots = [str(slot) for slot in catalogue.gateway_slots]

    client = LeanClient(supervisor.config.url("gateway"), MAX_CONNECTIONS, CLIENT_TIMEOUT_SECONDS)

    room: Counter[str] = Counter()

    async def book() -> str | None:
        """One client's booking. Turned away by the waiting room (429 with a ticket, or 503), it does as the
        room asks (bench/overload.py's visitors do the same): waits Retry-After and asks again with its ticket."""
        address = f"{prefix}{next(numbers)}@example.org"
        payload = orjson.dumps({**patient, "slot_id": random.choice(slots), "email": address})
        started, met = time.perf_counter(), False
        headers: list[tuple[str, str]] = []
        while True:
            answer = await client.request("POST", PATH, payload, headers)
            if answer.status not in (429, 503):
                break
            room[f"{answer.status} answers"] += 1
            room["bookings that met the room"] += not met
            met = True
            token = answer.headers.get(TICKET_HEADER)
            headers = [("waiting-room-ticket", token.decode())] if token else headers
            retry = min(float(answer.headers.get(b"retry-after", b"1")), RETRY_CAP_SECONDS)
            if time.perf_counter() + retry - started > GIVE_UP_SECONDS:
                return "gave up in the waiting room"
            await asyncio.sleep(retry)
        if answer.status // 100 != 2:
            return f"http {answer.status}"
        answered[address] = time.time()
        return None

    sink_thread = sink_thread_id(sink)
    before = cpu.snapshot(process_groups(supervisor))
    process_before = time.process_time()
    sink_before = cpu.thread_cpu_seconds(sink_thread) if sink_thread else 0.0
    async with Sampler(supervisor.config, sink) as sampler:
        started = time.perf_counter()
        stop_sampling = asyncio.Event()
        sampling = asyncio.create_task(sampler.run(started, stop_sampling))
        wall_started = time.time()
        try:
            result, skipped = await open_loop(book, rate, seconds, MAX_IN_FLIGHT)
        finally:
            await client.close()
        run_ended = wall_started + seconds
        answered_at_end = time.perf_counter() - started
        drain_started = time.perf_counter()
        while time.perf_counter() - drain_started < drain_budget:
            # The sampler's last reading (its connection serves one statement at a time).
            # Only answered bookings' confirmations count: one the client gave up on (a timeout) may still be sent.
            confirmations.update()
            confirmed = sum(1 for address in confirmations.first if address in answered)
            if confirmed >= len(answered) and sampler.samples[-1]["outbox_unpublished"] == 0:
                break
            await asyncio.sleep(0.5)
        drain_seconds = time.perf_counter() - drain_started
        confirmations.update()
        stop_sampling.set()
        await sampling
        final = await sampler.sample(started)
    after = cpu.snapshot(process_groups(supervisor))
    process_spent = time.process_time() - process_before
    sink_spent = (cpu.thread_cpu_seconds(sink_thread) - sink_before) if sink_thread else 0.0

    received = {a: t for a, t in confirmations.first.items() if a in answered}
    delays = [max(0.0, t - answered[a]) for a, t in received.items()]
    during_run = sum(1 for t in received.values() if t <= run_ended)
    summary = result.summary()
    sent = result.ok + result.error_count
    step: dict[str, Any] = {
        "offered_per_s": rate,
        "seconds": seconds,
        "answered": result.ok,
        # Answers within the S seconds: clients still in the waiting room then are answered later, or give up.
        "answered_per_s": round(sum(1 for t in answered.values() if t <= run_ended) / seconds, 1),
        "waiting_room": dict(room),
        "p50_ms": summary["p50_ms"],
        "p95_ms": summary["p95_ms"],
        "p99_ms": summary["p99_ms"],
        "max_ms": summary["max_ms"],
        "errors": result.error_count,
        "error_kinds": dict(result.errors),
        "skipped": skipped,
        "answers_ended_at_s": round(answered_at_end, 1),
        "drain_seconds": round(drain_seconds, 1),
        "drain_budget_seconds": drain_budget,
        "confirmations": {
            "received": len(received),
            "transmissions": confirmations.transmissions,
            "duplicates": confirmations.transmissions - len(confirmations.first),
            "missing_after_drain": len(answered) - len(received),
            "received_during_run": during_run,
            "received_in_drain": len(received) - during_run,
            "confirmed_per_s_during_run": round(during_run / seconds, 1),
            "latency_p50_ms": percentile_ms(delays, 0.50),
            "latency_p99_ms": percentile_ms(delays, 0.99),
            "latency_max_ms": percentile_ms(delays, 1.0),
        },
        "after_drain": final,
        "series": sampler.samples,
        "loadgen_ms_per_request": round(result.loop_cpu_seconds * 1000 / sent, 3) if sent else None,
    }
    step["cpu_ms_per_confirmed_booking"] = cpu_per_confirmed(
        cpu.seconds_used(before, after), sink_spent, process_spent - sink_spent, len(received)
    )
    step["pace"] = kept_pace(step, rate, seconds)
    return step


def cpu_per_confirmed(spent: dict[str, float], sink: float, loadgen: float, confirmed: int) -> dict[str, Any]:
    if not confirmed:
        return {}
    machine = spent.pop(cpu.MACHINE)
    per = {label: round(seconds * 1000 / confirmed, 3) for label, seconds in spent.items()}
    return {
        **per,
        "platform": round(sum(spent.values()) * 1000 / confirmed, 3),
        "mail sink": round(sink * 1000 / confirmed, 3),
        "load generator": round(loadgen * 1000 / confirmed, 3),
        cpu.MACHINE: round(machine * 1000 / confirmed, 3),
    }


async def pipeline_phase(
    supervisor: Supervisor,
    sink: MailSink,
    catalogue: Catalogue,
    rates: list[float],
    seconds: float,
    drain_budget: float = DRAIN_BUDGET_SECONDS,
) -> dict[str, Any]:
    # Cold, a stack's first bookings are slow (connections, prepared statements) and the waiting room, measuring
    # that latency, starts queueing: a short run first, not reported.
    await pipeline_step(supervisor, sink, catalogue, WARM_UP_RATE, WARM_UP_SECONDS, drain_budget)
    steps = []
    for rate in rates:
        await close_room(supervisor.config)  # the last step's turned-away visitors hold no place in this one
        steps.append(await pipeline_step(supervisor, sink, catalogue, rate, seconds, drain_budget))
        await asyncio.sleep(PAUSE_SECONDS)
    paced = [s["offered_per_s"] for s in steps if s["pace"]["kept_pace"]]
    at_target = next((s for s in steps if s["offered_per_s"] == TARGET_PER_S), None)
    return {
        "seconds": seconds,
        "steps": steps,
        "capacity_per_s": max(paced) if paced else None,
        "target_per_s": TARGET_PER_S,
        "at_target": None if at_target is None else {k: at_target[k] for k in ("answered_per_s", "p99_ms")},
    }


def step_lines(step: dict[str, Any]) -> list[str]:
    c, pace, per = step["confirmations"], step["pace"], step["cpu_ms_per_confirmed_booking"]
    return [
        f"offered {step['offered_per_s']:.0f}/s for {step['seconds']:.0f} s: answered {step['answered_per_s']}/s, "
        f"p50/p99 {step['p50_ms']}/{step['p99_ms']} ms, errors {step['error_kinds']}, "
        f"waiting room {step['waiting_room']}",
        f"  confirmations {c['received']} ({c['duplicates']} duplicates, {c['missing_after_drain']} missing), "
        f"{c['received_during_run']} during the run ({c['confirmed_per_s_during_run']}/s) + {c['received_in_drain']} "
        f"in {step['drain_seconds']} s of drain; booking → SMTP p50/p99/max "
        f"{c['latency_p50_ms']}/{c['latency_p99_ms']}/{c['latency_max_ms']} ms",
        f"  kept pace {pace['kept_pace']}: outbox oldest max {pace['outbox_oldest_max_s']} s, queue mid/end "
        f"{pace['queue_depth_mid']}/{pace['queue_depth_end']}",
        "  CPU ms per confirmed booking: " + ", ".join(f"{k} {v}" for k, v in per.items()),
        f"  load generator {step['loadgen_ms_per_request']} ms CPU per request",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=list(RATES))
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--drain-seconds", type=float, default=DRAIN_BUDGET_SECONDS)
    parser.add_argument("--quick", action="store_true", help="5 s per rate, 30 s drain: for iterating")
    parser.add_argument("--no-room", action="store_true", help="no gateway database, so no waiting room: an A/B")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.drain_seconds = 5.0, 30.0
    load = [round(x, 2) for x in os.getloadavg()]
    with prepared_stack(room=not args.no_room) as (supervisor, sink, catalogue):
        figures = uvloop.run(pipeline_phase(supervisor, sink, catalogue, args.rates, args.seconds, args.drain_seconds))
    figures["load_average_at_start"], figures["waiting_room"] = load, not args.no_room
    directory = BENCH_DIR
    (directory / "pipeline.json").write_text(json.dumps(figures, indent=2) + "\n")
    plot_pipeline(figures["steps"], directory / "pipeline.png", f"Pipeline, {os.cpu_count()} CPUs, load {load}")
    for step in figures["steps"]:
        print("\n".join(step_lines(step)))
    print(f"pipeline capacity (highest rate that kept pace): {figures['capacity_per_s']}/s, target {TARGET_PER_S}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
