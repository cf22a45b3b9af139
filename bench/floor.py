"""The floor of a confirmed booking on this machine: what the hops the design requires cost with none of the
platform's code in them.

python -m bench.floor [--rate 500] [--seconds 10]

A confirmed booking crosses, at the least: an HTTP request forwarded by the gateway (uvicorn and an aiohttp
client), the booking service's HTTP answer (uvicorn), its durable write (one asyncpg statement, committed),
the relay's publish with a confirm to a quorum queue and notifications' consumption with an ack (aio-pika),
notifications' transaction recording the booking, the dispatcher's transaction claiming and marking the
delivery (asyncpg), and one e-mail over a reused SMTP connection (the platform's own PIPELINING channel). Each is
measured here alone, open loop at the same rate, with the same libraries and options as the platform, around
apps that do nothing else (bench/floor_apps.py): CPU per operation of the process doing it, and of PostgreSQL
and RabbitMQ for theirs. The mail sink and the load generator are reported apart, as everywhere.

Their sum is the least a confirmed booking can cost the platform built this way on this machine, before any
validation, rule, rendering, log line or metric: the figure to read the issue's 2.0 ms target against.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import aio_pika
import asyncpg
import uvloop

from bench import cpu
from bench.floor_apps import ANSWER_BODY
from bench.lean_http import LeanClient
from bench.openloop import open_loop
from bench.stack import BENCH_DIR, server_urls
from devstack.databases import database_url
from devstack.testing.fixtures import free_port
from services.notifications.email_channel import EmailChannel
from services.notifications.settings import NotificationsSettings
from shared.db import asyncpg_dsn

DATABASE = "bench_floor"
QUEUE = "bench_floor"
TARGET_MS = 2.0  # issue 23's platform CPU per confirmed booking
MAX_IN_FLIGHT = 512
# What the stages that can batch take at a time at these rates (the dispatcher claims up to 8, the relay publishes
# what the outbox holds, acks within 10 ms leave as one frame): their cost is per batch divided by this.
BATCH = 8
REQUEST_BODY = (
    b'{"slot_id":"0190f0a8-6c2b-7c1e-9d4a-1f2e3d4c5b6b","patient":{"first_name":"Rose","last_name":"Tremblay"}}'
)
EVENT_BODY = ANSWER_BODY * 2  # an AppointmentBooked envelope is about 700 bytes
MAIL_BODY = "Bonjour Rose,\n\nVotre rendez-vous est confirmé.\n" * 25  # about 1.2 kB, as a confirmation


@dataclass
class Hop:
    name: str
    operations: int
    errors: dict[str, int]
    ms_per_operation: dict[str, float]  # process (or server) -> CPU ms per operation


def _per_operation(spent: dict[str, float], operations: int) -> dict[str, float]:
    return {label: round(1000 * seconds / max(operations, 1), 3) for label, seconds in spent.items()}


async def _nothing() -> str | None:
    return None


async def generator_seconds_per_call(rate: float, seconds: float) -> float:
    """This process's CPU per call of the open loop itself (a task, a sleep, a latency kept): taken off the
    clients' figures, so that they are the client libraries' cost alone."""
    client_before = time.process_time()
    result, _ = await open_loop(_nothing, rate, seconds, MAX_IN_FLIGHT)
    return (time.process_time() - client_before) / max(len(result.latencies), 1)


async def _measured(
    name: str,
    call: Callable[[], Awaitable[str | None]],
    rate: float,
    seconds: float,
    groups: dict[str, list[int]],
    *,
    per_call: int = 1,
    generator_seconds: float = 0.0,
) -> Hop:
    """`call` open loop at `rate` operations a second (`per_call` operations a call); CPU of `groups`' processes
    and of this one (the client, less the generator's own cost) per operation."""
    before, client_before = cpu.snapshot(groups), time.process_time()
    result, _ = await open_loop(call, rate / per_call, seconds, MAX_IN_FLIGHT)
    spent = cpu.seconds_used(before, cpu.snapshot(groups))
    spent.pop(cpu.MACHINE)
    calls = len(result.latencies)
    spent["client (this process)"] = time.process_time() - client_before - generator_seconds * calls
    return Hop(name, calls * per_call, dict(result.errors), _per_operation(spent, calls * per_call))


@contextmanager
def _uvicorn(app: str, port: int, environ: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable, "-m", "uvicorn", f"bench.floor_apps:{app}", "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **(environ or {})})
    try:
        yield process
    finally:
        process.terminate()
        process.wait(10)


async def _until_answers(port: int) -> None:
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise RuntimeError(f"nothing answers on port {port}")


async def http_hops(rate: float, seconds: float) -> list[Hop]:
    """The booking service's answer alone, then the gateway's forward in front of it."""
    answer_port, forward_port = free_port(), free_port()
    upstream = {"FLOOR_UPSTREAM": f"http://127.0.0.1:{answer_port}"}
    with _uvicorn("answer", answer_port) as answering, _uvicorn("forward", forward_port, upstream) as forwarding:
        await _until_answers(answer_port)
        await _until_answers(forward_port)
        hops = []
        for name, port in (("HTTP answer (uvicorn)", answer_port), ("HTTP forward (uvicorn + aiohttp)", forward_port)):
            client = LeanClient(f"http://127.0.0.1:{port}", limit=256, timeout_seconds=10)

            async def call(client: LeanClient = client) -> str | None:
                answer = await client.request("POST", "/appointments", REQUEST_BODY)
                return None if answer.status == 201 else str(answer.status)

            await open_loop(call, rate, 1.0, MAX_IN_FLIGHT)  # connections opened, code warm
            groups = {"answer": [answering.pid], "forward": [forwarding.pid]}
            hops.append(await _measured(name, call, rate, seconds, groups))
            await client.close()
    return hops


@asynccontextmanager
async def _scratch_database(admin_url: str) -> AsyncIterator[asyncpg.Pool]:
    admin = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
        pool = await asyncpg.create_pool(asyncpg_dsn(database_url(admin_url, DATABASE)), min_size=8, max_size=8)
        try:
            # A row with an index besides its key, as the outbox, the inbox and the delivery log have.
            await pool.execute(
                "CREATE TABLE rows (id uuid PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), payload text)"
            )
            await pool.execute("CREATE INDEX rows_created ON rows (created_at)")
            yield pool
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.close()


async def postgres_hops(admin_url: str, rate: float, seconds: float, generator_seconds: float) -> list[Hop]:
    """One committed statement (the booking's write), then transactions of BATCH bookings with two statements
    each, pipelined (a consumer's batch, or a claim and its mark)."""
    insert = "INSERT INTO rows (id, payload) VALUES ($1, $2)"
    payload = EVENT_BODY.decode()
    async with _scratch_database(admin_url) as pool:

        async def one_statement() -> str | None:
            await pool.execute(insert, uuid.uuid4(), payload)
            return None

        async def transaction() -> str | None:
            async with pool.acquire() as connection, connection.transaction():
                await connection.executemany(insert, [(uuid.uuid4(), payload) for _ in range(2 * BATCH)])
            return None

        groups = {"postgres (whole server)": cpu.pids_named("postgres")}
        await open_loop(one_statement, rate, 1.0, MAX_IN_FLIGHT)
        batched = f"PostgreSQL: BEGIN, {BATCH} bookings of two statements pipelined, COMMIT; per booking"
        return [
            await _measured(
                "PostgreSQL: one statement, committed (asyncpg)",
                one_statement,
                rate,
                seconds,
                groups,
                generator_seconds=generator_seconds,
            ),
            await _measured(
                batched, transaction, rate, seconds, groups, per_call=BATCH, generator_seconds=generator_seconds
            ),
        ]


async def amqp_hop(amqp_url: str, rate: float, seconds: float, generator_seconds: float) -> Hop:
    """Persistent messages published BATCH at a time, each with its confirm, to a quorum queue, and consumed with
    one ack (`multiple`) per BATCH, as the relay and shared/acks.py do."""
    publisher = await aio_pika.connect(amqp_url)
    consumer = await aio_pika.connect(amqp_url)
    try:
        publishing = await publisher.channel(publisher_confirms=True)
        consuming = await consumer.channel()
        await consuming.set_qos(prefetch_count=256)
        queue = await consuming.declare_queue(QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.purge()
        consumed, expected, all_consumed = 0, -1, asyncio.Event()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal consumed
            consumed += 1
            if consumed % BATCH == 0:
                await message.ack(multiple=True)
            if consumed >= expected > 0:
                all_consumed.set()

        consumer_tag = await queue.consume(on_message)

        async def publish_batch() -> str | None:
            await asyncio.gather(
                *(
                    publishing.default_exchange.publish(
                        aio_pika.Message(EVENT_BODY, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                        routing_key=QUEUE,
                        mandatory=True,
                    )
                    for _ in range(BATCH)
                )
            )
            return None

        warm_up, _ = await open_loop(publish_batch, rate / BATCH, 1.0, MAX_IN_FLIGHT)
        groups = {"rabbitmq": cpu.pids_named("beam.smp")}
        before, client_before = cpu.snapshot(groups), time.process_time()
        result, _ = await open_loop(publish_batch, rate / BATCH, seconds, MAX_IN_FLIGHT)
        operations = len(result.latencies) * BATCH
        # Every message published is consumed within the measurement, the warm-up's included.
        expected = (len(warm_up.latencies) + len(result.latencies)) * BATCH
        if consumed < expected:
            await asyncio.wait_for(all_consumed.wait(), 30)
        spent = cpu.seconds_used(before, cpu.snapshot(groups))
        spent.pop(cpu.MACHINE)
        spent["client (this process)"] = time.process_time() - client_before - generator_seconds * len(result.latencies)
        await queue.cancel(consumer_tag)
        await queue.delete(if_unused=False, if_empty=False)
        name = f"RabbitMQ: published {BATCH} at a time with confirms, acked {BATCH} at a time (quorum queue)"
        return Hop(name, operations, dict(result.errors), _per_operation(spent, operations))
    finally:
        await publisher.close()
        await consumer.close()


_SINK = (
    "from devstack.mail_sink import MailSink; import sys, time; MailSink(port=int(sys.argv[1])).start(); "
    "time.sleep(3600)"
)


async def smtp_hop(rate: float, seconds: float, generator_seconds: float) -> Hop:
    """One confirmation e-mail over reused connections (four, as the dispatcher's workers), sink in its own process."""
    port = free_port()
    sink = await asyncio.create_subprocess_exec(sys.executable, "-c", _SINK, str(port))
    try:
        await _until_answers(port)
        settings = NotificationsSettings(smtp_port=port)
        channels: asyncio.Queue[EmailChannel] = asyncio.Queue()
        for _ in range(4):
            channels.put_nowait(EmailChannel(settings))

        async def send() -> str | None:
            channel = await channels.get()
            try:
                await channel.send(str(uuid.uuid4()), "rose.tremblay@example.org", "Rendez-vous confirmé", MAIL_BODY)
            finally:
                channels.put_nowait(channel)
            return None

        await open_loop(send, rate, 1.0, MAX_IN_FLIGHT)
        name = "SMTP: one e-mail (the platform's PIPELINING channel)"
        groups = {"mail sink": [sink.pid]}
        hop = await _measured(name, send, rate, seconds, groups, generator_seconds=generator_seconds)
        while not channels.empty():
            await channels.get_nowait().close()
        return hop
    finally:
        sink.terminate()
        await sink.wait()


def floor_ms(hops: dict[str, Hop]) -> dict[str, float]:
    """What one confirmed booking needs of each hop, by the process that pays it (sink and load generator apart)."""
    http_forward = hops["http_forward"].ms_per_operation
    statement = hops["pg_statement"].ms_per_operation
    transaction = hops["pg_transaction"].ms_per_operation
    amqp = hops["amqp"].ms_per_operation
    smtp = hops["smtp"].ms_per_operation
    return {
        "gateway: forward": http_forward["forward"],
        "appointments: answer": http_forward["answer"],
        "appointments: the booking's statement": statement["client (this process)"],
        "relay and consumer: publish, consume, ack": amqp["client (this process)"],
        "notifications: its share of two batched transactions (record; claim and mark)": 2
        * transaction["client (this process)"],
        "notifications: one e-mail": smtp["client (this process)"],
        "postgres: the statement and its share of two batched transactions": statement["postgres (whole server)"]
        + 2 * transaction["postgres (whole server)"],
        "rabbitmq: one message": amqp["rabbitmq"],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    return parser.parse_args(argv)


async def measure(rate: float, seconds: float, pg_url: str, amqp_url: str) -> dict[str, Any]:
    generator = await generator_seconds_per_call(rate, seconds)
    http_answer, http_forward = await http_hops(rate, seconds)
    pg_statement, pg_transaction = await postgres_hops(pg_url, rate, seconds, generator)
    hops = {
        "http_answer": http_answer,
        "http_forward": http_forward,
        "pg_statement": pg_statement,
        "pg_transaction": pg_transaction,
        "amqp": await amqp_hop(amqp_url, rate, seconds, generator),
        "smtp": await smtp_hop(rate, seconds, generator),
    }
    floor = floor_ms(hops)
    return {
        "rate": rate,
        "seconds": seconds,
        "batch": BATCH,
        "generator_ms_per_call": round(1000 * generator, 3),
        "hops": {key: asdict(hop) for key, hop in hops.items()},
        "floor_ms": floor,
        "floor_total_ms": round(sum(floor.values()), 3),
        "target_ms": TARGET_MS,
    }


def report(figures: dict[str, Any]) -> str:
    hops, floor = figures["hops"], figures["floor_ms"]
    lines = [f"The floor of a confirmed booking: each hop alone, open loop at {figures['rate']:.0f}/s"]
    for hop in hops.values():
        spent = ", ".join(f"{label} {ms:.3f}" for label, ms in hop["ms_per_operation"].items())
        lines.append(f"  {hop['name']}: {hop['operations']} done, errors {hop['errors'] or 0}; CPU ms each: {spent}")
    lines.append("  per confirmed booking, sink and load generator apart:")
    lines.extend(f"    {label}: {ms:.3f} ms" for label, ms in floor.items())
    total, target = figures["floor_total_ms"], figures["target_ms"]
    lines.append(
        f"  floor {total:.2f} ms of platform CPU per confirmed booking, target {target:.1f} ms (ratio "
        f"{total / target:.2f}), leaving {target - total:.2f} ms for all of the platform's own work"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = uvloop.run(measure(args.rate, args.seconds, *server_urls()))
    (BENCH_DIR / "floor.json").write_text(json.dumps(figures, indent=2))
    print(report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
