"""The platform benchmark: every figure through the gateway next to a baseline measured in the same run.

python -m bench.booking [--seconds 60] [--concurrency 32] [--quick]

Phases: raw_db (the booking transaction on bare asyncpg, before the stack starts), floor (the hops a confirmed
booking crosses, each alone with none of the platform's code: the baseline of its CPU per confirmed booking,
bench/floor.py), gateway_hop,
search over 20,000 establishments, login against argon2's raw rate, notification latency at a fixed
rate, booking (sustained, closed loop) with its outbox and email drain, the pipeline end to end at
sustained offered rates (bench/pipeline.py), a rush of 0.5× to 3× the booking capacity against the waiting
room (bench/overload.py), and each service's memory. The gateway's waiting room is live throughout
(bench/stack.py). Only 127.0.0.1 is contacted. The machine is small and shared, so absolute figures
drift from run to run; ratios to the same run's baselines are what to compare.
Writes bench/report.json, bench/report.md, bench/sweep.png and bench/pipeline.png.
"""

import argparse
import asyncio
import os
import platform
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aiohttp
import asyncpg
import uvloop

from bench import cpu, floor, pg_activity
from bench.catalogue import PATIENT, Catalogue, delivery_states, insert_catalogue, integrity
from bench.loadgen import Call, LoadResult, closed_loop
from bench.login_load import login_run
from bench.memory import service_rss_mb
from bench.notification_latency import notification_latency
from bench.overload import overload_phase, rush_title
from bench.pipeline import DRAIN_BUDGET_SECONDS as PIPELINE_DRAIN_SECONDS
from bench.pipeline import RATES as PIPELINE_RATES
from bench.pipeline import pipeline_phase
from bench.plot import plot_pipeline, plot_sweep
from bench.raw_db import run_raw
from bench.reporting import Figures, ratio, write_reports
from bench.search_load import insert_establishments, search_run
from bench.stack import (
    BENCH_DIR,
    CAPACITY,
    NAMESPACE,
    SLOTS_PER_SET,
    prepare_all,
    process_groups,
    server_urls,
    stack_config,
    start_stack,
)
from bench.wrk_load import wrk_bookings
from devstack.databases import SERVICES
from devstack.mail_sink import MailSink
from devstack.supervisor import StackConfig, Supervisor
from devstack.testing.fixtures import delete_topology, free_port
from shared.db import asyncpg_dsn

OUTBOX_BUDGET_SECONDS = 30
EMAIL_BUDGET_SECONDS = 60
# The sustained run's emails must be out before the sweep starts, and their pace is reported.
DRAIN_BUDGET_SECONDS = 180
WARM_UP_SECONDS = 3.0
SEARCH_ESTABLISHMENTS = 20_000
NOTIFICATION_RATE = 200.0
SEARCH_CONCURRENCY = 4
LOGIN_CONCURRENCY = 8
JSON_HEADERS = {"content-type": "application/json"}
PATIENT_PREFIX = "patient"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.booking", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of the sustained booking run")
    parser.add_argument("--raw-seconds", type=float, default=20.0, help="duration of the raw_db baseline")
    parser.add_argument("--phase-seconds", type=float, default=10.0, help="each of gateway_hop, search, login")
    parser.add_argument("--notification-seconds", type=float, default=15.0, help="bookings at 200/s")
    parser.add_argument("--pipeline-rates", type=float, nargs="+", default=list(PIPELINE_RATES))
    parser.add_argument("--pipeline-seconds", type=float, default=60.0, help="each offered rate, end to end")
    parser.add_argument("--rush-step-seconds", type=float, default=30.0, help="each step of the rush")
    parser.add_argument("--concurrency", type=int, default=32, help="closed-loop workers (and client connections)")
    parser.add_argument("--quick", action="store_true", help="every phase a few seconds: for iterating, not reporting")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.raw_seconds, args.phase_seconds = 8.0, 5.0, 3.0
        args.notification_seconds, args.pipeline_seconds, args.rush_step_seconds = 4.0, 5.0, 5.0
    return args


class HttpCall:
    """One request shape; keeps the first response body of each failing status, for the report."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        expected: int,
        body: Callable[[], bytes | None] = lambda: None,
    ) -> None:
        self._session, self._method, self._url, self._expected = session, method, url, expected
        self._body = body
        self.samples: dict[str, str] = {}

    async def __call__(self) -> str | None:
        body = self._body()
        async with self._session.request(self._method, self._url, data=body, headers=JSON_HEADERS) as response:
            payload = await response.read()
            if response.status == self._expected:
                return None
            kind = f"http {response.status}"
            self.samples.setdefault(kind, payload[:300].decode(errors="replace"))
            return kind


@asynccontextmanager
async def http_session(concurrency: int, timeout_seconds: float = 30) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        yield session


def summarise(result: LoadResult, call: Call | None = None) -> dict[str, Any]:
    summary = result.summary()
    if isinstance(call, HttpCall) and call.samples:
        summary["error_samples"] = call.samples
    return summary


async def gateway_hop(config: StackConfig, catalogue: Catalogue, concurrency: int, seconds: float) -> dict[str, Any]:
    # A trivial read (one indexed row), so the hop itself, not the query, dominates.
    query = f"?service_id={catalogue.service_id}&limit=1"
    async with http_session(concurrency) as session:
        direct_call = HttpCall(session, "GET", config.url("appointments") + "/slots" + query, 200)
        direct = await closed_loop(direct_call, concurrency, seconds)
        gateway_call = HttpCall(session, "GET", config.url("gateway") + "/api/slots" + query, 200)
        gateway = await closed_loop(gateway_call, concurrency, seconds)
    return {
        "endpoint": "GET /slots?service_id=…&limit=1",
        "direct": summarise(direct, direct_call),
        "gateway": summarise(gateway, gateway_call),
        "ratio": ratio(gateway.rps, direct.rps),
    }


async def booking_run(supervisor: Supervisor, catalogue: Catalogue, concurrency: int, seconds: float) -> dict[str, Any]:
    """Sustained bookings from wrk, each a different patient (an address starting with PATIENT_PREFIX)."""
    url = supervisor.config.url("gateway") + "/api/appointments"
    patient = {key: value for key, value in PATIENT.items() if key != "email"}
    appointments_dsn = asyncpg_dsn(supervisor.config.database_urls["appointments"])
    postgres_before = await pg_activity.snapshot(appointments_dsn)
    before = cpu.snapshot(process_groups(supervisor))
    summary = await asyncio.to_thread(
        wrk_bookings, url, catalogue.gateway_slots, patient, PATIENT_PREFIX, concurrency, seconds
    )
    after = cpu.snapshot(process_groups(supervisor))
    summary["postgres_during_run"] = pg_activity.during(
        postgres_before, await pg_activity.snapshot(appointments_dsn), summary["requests_ok"]
    )
    summary["cpu_cores_during_run"] = {
        "loadgen": summary["loadgen_cpu_cores"],
        **cpu.cores_used(before, after, summary["seconds"]),
    }
    # CPU time per booking holds up better than bookings/s when other work shares the machine.
    summary["cpu_ms_per_booking"] = {
        name: round(cores * 1000 / summary["rps"], 2) if summary["rps"] else None
        for name, cores in summary["cpu_cores_during_run"].items()
    }
    return summary


async def wait_until(check: Callable[[], Awaitable[bool]], budget: float) -> float | None:
    """Seconds until `check` held, or None if it still did not after `budget` seconds."""
    started = time.perf_counter()
    while True:
        if await check():
            return round(time.perf_counter() - started, 2)
        if time.perf_counter() - started >= budget:
            return None
        await asyncio.sleep(0.2)


async def unpublished(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    finally:
        await conn.close()


async def queue_depth(amqp_url: str, queue: str) -> int | None:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return declared.declaration_result.message_count
    except aio_pika.exceptions.ChannelClosed:
        return None
    finally:
        await connection.close()


async def drain(config: StackConfig, sink: MailSink, bookings: int) -> tuple[dict[str, Any], dict[str, Any]]:
    appointments_dsn = asyncpg_dsn(config.database_urls["appointments"])
    at_end = await unpublished(appointments_dsn)

    async def outbox_empty() -> bool:
        return await unpublished(appointments_dsn) == 0

    def patient_mails() -> list[Any]:
        # Only the sustained run's bookings: the login account's code email shares the sink.
        return [m for m in sink.messages() if any(r.startswith(PATIENT_PREFIX) for r in m.recipients)]

    async def emails_arrived() -> bool:
        return len(patient_mails()) >= bookings

    outbox_seconds, email_seconds = await asyncio.gather(
        wait_until(outbox_empty, OUTBOX_BUDGET_SECONDS), wait_until(emails_arrived, DRAIN_BUDGET_SECONDS)
    )
    outbox = {
        "at_end": at_end,
        "after_drain": await unpublished(appointments_dsn),
        "drain_seconds": outbox_seconds,
        "budget_seconds": OUTBOX_BUDGET_SECONDS,
    }
    emails = {
        "bookings": bookings,
        "transmissions": sum(any(r.startswith(PATIENT_PREFIX) for r in m.recipients) for m in sink.transmissions()),
        "unique": len(patient_mails()),
        "drain_seconds": email_seconds,
        "budget_seconds": DRAIN_BUDGET_SECONDS,
        "deliveries_by_status": await delivery_states(asyncpg_dsn(config.database_urls["notifications"])),
        "notifications_queue_depth": await queue_depth(config.amqp_url, f"{config.bus_namespace}notifications"),
    }
    return outbox, emails


async def stack_phases(
    supervisor: Supervisor, sink: MailSink, catalogue: Catalogue, args: argparse.Namespace
) -> Figures:
    gateway = supervisor.config.url("gateway")
    # Read-mostly phases first, on a quiet stack: after the booking run the email backlog may still be draining.
    hop = await gateway_hop(supervisor.config, catalogue, args.concurrency, args.phase_seconds)
    async with http_session(args.concurrency) as session:
        # Latency of a query, not of a queue: a few users at a time, about one per core.
        searched = await search_run(session, gateway, SEARCH_CONCURRENCY, args.phase_seconds)
        login = await login_run(session, gateway, sink, LOGIN_CONCURRENCY, args.phase_seconds)
    # The pipeline's latency at a steady 200/s, before the surge rather than in its wake (tables bloated by
    # tens of thousands of bookings, autovacuum at work). A short run first warms the notification path
    # (connections, prepared statements): cold, its first second measured p99 790 ms, warm 119 ms.
    await notification_latency(gateway, sink, catalogue, NOTIFICATION_RATE, WARM_UP_SECONDS, EMAIL_BUDGET_SECONDS)
    latency = await notification_latency(
        gateway, sink, catalogue, NOTIFICATION_RATE, args.notification_seconds, EMAIL_BUDGET_SECONDS
    )
    booking = await booking_run(supervisor, catalogue, args.concurrency, args.seconds)
    outbox, emails = await drain(supervisor.config, sink, booking["requests_ok"])
    # The whole pipeline's pace: bookings whose confirmation was sent, over the run and the drain after it.
    # Booking is the priority: under a surge the outbox and the mail queue absorb what the cores cannot yet send.
    if emails["drain_seconds"] is not None:
        emails["emailed_bookings_per_s"] = round(emails["unique"] / (booking["seconds"] + emails["drain_seconds"]), 1)
    drain_budget = 30.0 if args.quick else PIPELINE_DRAIN_SECONDS
    pipeline = await pipeline_phase(
        supervisor, sink, catalogue, args.pipeline_rates, args.pipeline_seconds, drain_budget
    )
    # The rush's capacity is the closed-loop run's bookings/s: what this stack answers bookings at, this run.
    overload = await overload_phase(supervisor, catalogue, booking["rps"], args.rush_step_seconds, "booking rps")
    memory = service_rss_mb({name: process.pid for name, process in supervisor.processes.items()})
    checks = await integrity(asyncpg_dsn(supervisor.config.database_urls["appointments"]))
    return {
        "gateway_hop": hop,
        "search": searched,
        "login": login,
        "booking": booking,
        "outbox_backlog": outbox,
        "emails": emails,
        "notification_latency": latency,
        "pipeline": pipeline,
        "overload": overload,
        "memory": memory,
        "integrity": checks,
    }


def meta(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": args.seconds,
        "raw_seconds": args.raw_seconds,
        "phase_seconds": args.phase_seconds,
        "quick": args.quick,
        "concurrency": args.concurrency,
        "search_establishments": SEARCH_ESTABLISHMENTS,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "slots_per_set": SLOTS_PER_SET,
        "slot_capacity": CAPACITY,
    }


def raw_db_run(dsn: str, catalogue: Catalogue, args: argparse.Namespace) -> dict[str, Any]:
    result, cores = uvloop.run(run_raw(dsn, catalogue, args.concurrency, args.raw_seconds))
    summary = result.summary()
    summary["cpu_cores_during_run"] = {"loadgen": summary["loadgen_cpu_cores"], **cores}
    return summary


def run(args: argparse.Namespace, pg_url: str, amqp_url: str) -> Figures:
    figures: Figures = {"meta": meta(args)}
    database_urls, gateway_database_url = prepare_all(pg_url)
    appointments_dsn = asyncpg_dsn(database_urls["appointments"])
    # A topology left by an interrupted run could still hold events that would become extra emails.
    uvloop.run(delete_topology(amqp_url, NAMESPACE, list(SERVICES)))
    catalogue = uvloop.run(insert_catalogue(appointments_dsn, SLOTS_PER_SET, CAPACITY))
    uvloop.run(insert_establishments(appointments_dsn, SEARCH_ESTABLISHMENTS))
    # Before the stack starts, so no idle service (nor its polling outbox relay) shares the cores.
    figures["raw_db"] = raw_db_run(appointments_dsn, catalogue, args)
    # The pipeline's CPU per confirmed booking is read against this: the same hops with none of our code in them.
    figures["floor"] = floor.run_alone(floor.RATE, args.raw_seconds)
    sink = MailSink(port=free_port()).start()
    supervisor: Supervisor | None = None
    try:
        supervisor = start_stack(stack_config(database_urls, amqp_url, sink.port, gateway_database_url))
        figures.update(uvloop.run(stack_phases(supervisor, sink, catalogue, args)))
    finally:
        if supervisor is not None:
            supervisor.stop_all()
        sink.stop()
        uvloop.run(delete_topology(amqp_url, NAMESPACE, list(SERVICES)))
    figures["booking"]["ratio"] = ratio(figures["booking"]["rps"], figures["raw_db"]["rps"])
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pg_url, amqp_url = server_urls()
    started = time.perf_counter()
    figures = run(args, pg_url, amqp_url)
    figures["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
    plot_sweep(figures["overload"]["steps"], BENCH_DIR / "sweep.png", rush_title(figures["overload"]))
    plot_pipeline(figures["pipeline"]["steps"], BENCH_DIR / "pipeline.png", f"Pipeline, {os.cpu_count()} CPUs")
    print(write_reports(figures, BENCH_DIR))
    print(
        f"total {figures['meta']['total_seconds']} s; details in bench/report.json, plots bench/sweep.png and "
        "bench/pipeline.png, "
        "service logs in bench/.logs/"
    )
    return 0 if figures["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
