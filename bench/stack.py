"""The benchmark's stack: its settings (the waiting room's tuning among them), its start, its processes' groups."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import uvloop

from bench import cpu
from bench.catalogue import Catalogue, insert_catalogue
from devstack.databases import SERVICES, prepare_databases, prepare_gateway_database
from devstack.mail_sink import MailSink
from devstack.supervisor import StackConfig, Supervisor
from devstack.testing.fixtures import delete_topology, free_port
from gateway.waiting_room.queries import set_opened
from shared.db import asyncpg_dsn

BENCH_DIR = Path(__file__).resolve().parent
LOG_DIR = BENCH_DIR / ".logs"
NAMESPACE = "bench."
SLOTS_PER_SET = 200
CAPACITY = 100_000
DATABASE_PREFIX = "bench_"

# The waiting room is live in every phase, as in production, with the gateway's default budget. It must let the
# closed-loop phases (32 connections, wrk's and aiohttp's) through untouched, which never come back with a
# ticket: 64 in flight is twice theirs, so in flight only a rush trips it. A latency average of 0.2 s tripped
# it during the closed-loop booking run on a loaded machine (load average 4: 1,079 of 3,328 bookings got 429);
# 0.5 s does not, and a rush meets the in-flight bound first (64 in flight at 1,000/s is 64 ms each).
# Admissions start at the 1,000/s target; the room then follows its own measured load (its rules.py).
ROOM_MAX_IN_FLIGHT = 64
ROOM_LATENCY_BUDGET_SECONDS = 0.5
ROOM_ADMIT_PER_SECOND = 1000
ROOM_ENVIRON = {
    "GATEWAY_WAITING_ROOM_MAX_IN_FLIGHT": str(ROOM_MAX_IN_FLIGHT),
    "GATEWAY_WAITING_ROOM_LATENCY_BUDGET_SECONDS": str(ROOM_LATENCY_BUDGET_SECONDS),
    "GATEWAY_WAITING_ROOM_ADMIT_PER_SECOND": str(ROOM_ADMIT_PER_SECOND),
}


def server_urls() -> tuple[str, str]:
    pg_url = os.environ.get("CLINIC_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    amqp_url = os.environ.get("CLINIC_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    return pg_url, amqp_url


def stack_config(
    database_urls: dict[str, str], amqp_url: str, smtp_port: int, gateway_database_url: str
) -> StackConfig:
    return StackConfig(
        database_urls=database_urls,
        amqp_url=amqp_url,
        ports={name: free_port() for name in ("gateway", *SERVICES)},
        metrics_ports={name: free_port() for name in ("gateway", *SERVICES)},
        smtp_port=smtp_port,
        bus_namespace=NAMESPACE,
        environment="test",
        gateway_database_url=gateway_database_url,
        extra_environ={
            # The load generator books without an account from loopback, thousands a second.
            "APPOINTMENTS_UNLIMITED_BOOKING_SOURCES": '["127.0.0.1"]',
            **ROOM_ENVIRON,
        },
    )


def start_stack(config: StackConfig) -> Supervisor:
    for old in LOG_DIR.glob("*.log"):
        old.unlink()
    supervisor = Supervisor(config, log_dir=LOG_DIR)
    try:
        supervisor.start_all()
        for name in SERVICES:
            supervisor.wait_ready(name, path="/readyz")
    except BaseException:
        supervisor.stop_all()
        raise
    return supervisor


def prepare_all(pg_url: str) -> tuple[dict[str, str], str]:
    """Fresh services' databases and the gateway's own (the waiting room's state)."""
    database_urls = prepare_databases(pg_url, prefix=DATABASE_PREFIX, drop_first=True)
    return database_urls, prepare_gateway_database(pg_url, prefix=DATABASE_PREFIX, drop_first=True)


@contextmanager
def prepared_stack(room: bool = True) -> Iterator[tuple[Supervisor, MailSink, Catalogue]]:
    """A fresh stack with the booking catalogue, for a phase run alone; without the gateway's database (no
    waiting room) when `room` is False, for an A/B of the room's cost."""
    pg_url, amqp_url = server_urls()
    database_urls, gateway_database_url = prepare_all(pg_url)
    uvloop.run(delete_topology(amqp_url, NAMESPACE, list(SERVICES)))
    catalogue = uvloop.run(insert_catalogue(asyncpg_dsn(database_urls["appointments"]), SLOTS_PER_SET, CAPACITY))
    sink = MailSink(port=free_port()).start()
    supervisor: Supervisor | None = None
    try:
        config = stack_config(database_urls, amqp_url, sink.port, gateway_database_url if room else "")
        supervisor = start_stack(config)
        yield supervisor, sink, catalogue
    finally:
        if supervisor is not None:
            supervisor.stop_all()
        sink.stop()
        uvloop.run(delete_topology(amqp_url, NAMESPACE, list(SERVICES)))


async def close_room(config: StackConfig) -> None:
    """The operator's switch, closed: everyone waiting is admitted. Between two steps, the tickets of the
    visitors a step abandoned (a client that never comes back) would otherwise queue the next step's
    arrivals behind them."""
    if not config.gateway_database_url:
        return  # no waiting room
    pool = await asyncpg.create_pool(asyncpg_dsn(config.gateway_database_url), min_size=1, max_size=1)
    try:
        await set_opened(pool, False)
    finally:
        await pool.close()


def process_groups(supervisor: Supervisor) -> dict[str, list[int]]:
    groups = {name: [process.pid] for name, process in supervisor.processes.items()}
    groups["postgres (whole server)"] = cpu.pids_named("postgres")
    groups["rabbitmq"] = cpu.pids_named("beam.smp")
    return groups
