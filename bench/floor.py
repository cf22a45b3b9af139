"""An estimate of the floor of a confirmed booking on this machine: what the hops the design requires cost with
none of the platform's code in them.

python -m bench.floor [--rate 400] [--seconds 10]

A confirmed booking crosses, at the least: an HTTP request forwarded by the gateway (uvicorn and an aiohttp
client), the booking service's HTTP answer (uvicorn), its durable write (one asyncpg statement, committed), the
relay's claim and mark of its outbox rows, its publish with a confirm to a quorum queue and notifications'
consumption with an ack (aio-pika), notifications' transaction recording the booking, the dispatcher's
transaction claiming and marking the delivery (asyncpg), and one e-mail over a reused SMTP connection (the
platform's own PIPELINING channel). Each is measured here alone, open loop at the same rate, with the same
libraries and options as the platform, around apps that do nothing else (bench/floor_apps.py): CPU per operation
of the process doing it, and of PostgreSQL and RabbitMQ for theirs. The mail sink and the load generator are
reported apart, as everywhere.

An estimate, not a bound: the batched stages are modelled at `batch_at(rate)` bookings a batch with plain
statements (the platform's statements are set-based, and its batches vary with the load), and the platform's rows
carry more indexes than these. Its sum is about the least a confirmed booking can cost the platform built this
way on this machine, before any validation, rule, rendering, log line or metric.
"""

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
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
from shared.acks import GATHER_SECONDS
from shared.db import asyncpg_dsn
from shared.garbage_collection import settle_garbage_collector
from shared.outbox import RELAY_SERVER_SETTINGS

ROOT = BENCH_DIR.parent
GOAL_MS = 2.0  # issue 23's goal for the platform's CPU per confirmed booking
RATE = 400.0  # the pipeline's offered rate that kept pace in every run here (bench/RESULTS.md)
MAX_IN_FLIGHT = 512


def batch_at(rate: float) -> int:
    """What a batched stage takes at a time at `rate` bookings a second: acks gather for 10 ms (shared/acks.py), as
    the relay's publishes do, and the dispatcher's claims and the consumer's batches hold about as many when they
    keep up (4 at 400/s, 10 at 1,000/s)."""
    return max(1, round(rate * GATHER_SECONDS))


REQUEST_BODY = (
    b'{"slot_id":"0190f0a8-6c2b-7c1e-9d4a-1f2e3d4c5b6b","patient":{"first_name":"Rose","last_name":"Tremblay"}}'
)
EVENT_BODY = ANSWER_BODY * 2  # an AppointmentBooked envelope is about 700 bytes
MAIL_BODY = "Bonjour Rose,\n\nVotre rendez-vous est confirmé.\n" * 25  # about 1.2 kB, as a confirmation
CLIENT = "client (this process)"
POSTGRES = "postgres (whole server)"
RABBITMQ = "rabbitmq"

Groups = Callable[[], dict[str, list[int]]]


@dataclass
class Hop:
    name: str
    operations: int
    errors: dict[str, int]
    ms_per_operation: dict[str, float]  # process (or server) -> CPU ms per operation


def _per_operation(spent: dict[str, float], operations: int) -> dict[str, float]:
    return {label: round(1000 * seconds / max(operations, 1), 3) for label, seconds in spent.items()}


def _postgres() -> dict[str, list[int]]:
    # Read at each snapshot: a backend or an autovacuum worker started meanwhile counts from zero.
    return {POSTGRES: cpu.pids_named("postgres")}


def _rabbitmq() -> dict[str, list[int]]:
    return {RABBITMQ: cpu.pids_named("beam.smp")}


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
    groups: Groups,
    *,
    per_call: int = 1,
    generator_seconds: float = 0.0,
    until_done: Callable[[int], Awaitable[None]] | None = None,
) -> Hop:
    """`call` open loop at `rate` operations a second (`per_call` operations a call); CPU of `groups`' processes
    and of this one (the client, less the generator's own cost) per operation. `until_done(operations)` waits,
    inside the measurement, for work the calls leave behind (messages still to consume)."""
    before, client_before = cpu.snapshot(groups()), time.process_time()
    result, _ = await open_loop(call, rate / per_call, seconds, MAX_IN_FLIGHT)
    calls = len(result.latencies)
    if until_done is not None:
        await until_done(calls * per_call)
    spent = cpu.seconds_used(before, cpu.snapshot(groups()))
    spent.pop(cpu.MACHINE)
    spent[CLIENT] = time.process_time() - client_before - generator_seconds * calls
    return Hop(name, calls * per_call, dict(result.errors), _per_operation(spent, calls * per_call))


@contextmanager
def _uvicorn(app: str, port: int, environ: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable, "-m", "uvicorn", f"bench.floor_apps:{app}", "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--no-proxy-headers", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(environ or {})})
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


async def _until_answers(port: int, process: subprocess.Popen[bytes] | asyncio.subprocess.Process) -> None:
    for _ in range(100):
        if isinstance(process, subprocess.Popen):
            process.poll()  # a Popen learns its return code only when asked
        if process.returncode is not None:
            raise RuntimeError(f"the process meant to answer on port {port} exited ({process.returncode})")
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
    answer_port = free_port()
    forward_port = free_port()
    while forward_port == answer_port:
        forward_port = free_port()
    upstream = {"FLOOR_UPSTREAM": f"http://127.0.0.1:{answer_port}"}
    with _uvicorn("answer", answer_port) as answering, _uvicorn("forward", forward_port, upstream) as forwarding:
        await _until_answers(answer_port, answering)
        await _until_answers(forward_port, forwarding)
        hops = []
        for name, port in (("HTTP answer (uvicorn)", answer_port), ("HTTP forward (uvicorn + aiohttp)", forward_port)):
            client = LeanClient(f"http://127.0.0.1:{port}", limit=256, timeout_seconds=10)

            async def call(client: LeanClient = client) -> str | None:
                answer = await client.request("POST", "/appointments", REQUEST_BODY)
                return None if answer.status == 201 else str(answer.status)

            await open_loop(call, rate, 1.0, MAX_IN_FLIGHT)  # connections opened, code warm

            def groups() -> dict[str, list[int]]:
                return {"answer": [answering.pid], "forward": [forwarding.pid]}

            hops.append(await _measured(name, call, rate, seconds, groups))
            await client.close()
    return hops


@asynccontextmanager
async def _scratch_database(admin_url: str) -> AsyncIterator[tuple[asyncpg.Pool, asyncpg.Pool]]:
    """A database of its own (a name no other run uses) with an outbox-shaped table; the platform's pool and the
    relay's (its server settings)."""
    name = f"bench_floor_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        dsn = asyncpg_dsn(database_url(admin_url, name))
        pool = await asyncpg.create_pool(dsn, min_size=8, max_size=8)
        relay = await asyncpg.create_pool(dsn, min_size=2, max_size=2, server_settings=RELAY_SERVER_SETTINGS)
        try:
            # A row with an index besides its key and a partial one, as the outbox and the delivery log have.
            await pool.execute(
                "CREATE TABLE rows (id bigserial PRIMARY KEY, event_id uuid NOT NULL, payload text, "
                "created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz)"
            )
            await pool.execute("CREATE INDEX rows_event ON rows (event_id)")
            await pool.execute("CREATE INDEX rows_unpublished ON rows (id) WHERE published_at IS NULL")
            # What earlier phases left to write out is not this run's work.
            with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
                await admin.execute("CHECKPOINT")
            yield pool, relay
        finally:
            await relay.close()
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def postgres_hops(admin_url: str, rate: float, seconds: float, generator_seconds: float, batch: int) -> list[Hop]:
    """One committed statement (the booking's write); the relay's claim and mark of `batch` rows; transactions of
    `batch` bookings with two statements each, pipelined (a consumer's batch, or a claim and its mark)."""
    insert = "INSERT INTO rows (event_id, payload) VALUES ($1, $2)"
    claim = "SELECT id, payload FROM rows WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"
    mark = "UPDATE rows SET published_at = now(), payload = NULL WHERE id = ANY($1::bigint[])"
    payload = EVENT_BODY.decode()
    async with _scratch_database(admin_url) as (pool, relay):

        async def one_statement() -> str | None:
            await pool.execute(insert, uuid.uuid4(), payload)
            return None

        async def relay_batch() -> str | None:
            async with relay.acquire() as connection, connection.transaction():
                rows = await connection.fetch(claim, batch)
                await connection.execute(mark, [row["id"] for row in rows])
            return None if len(rows) == batch else "fewer rows than a batch"

        async def transaction() -> str | None:
            async with pool.acquire() as connection, connection.transaction():
                await connection.executemany(insert, [(uuid.uuid4(), payload) for _ in range(2 * batch)])
            return None

        await open_loop(one_statement, rate, 1.0, MAX_IN_FLIGHT)
        return [
            await _measured(
                "PostgreSQL: one statement, committed (asyncpg)",
                one_statement,
                rate,
                seconds,
                _postgres,
                generator_seconds=generator_seconds,
            ),
            # The rows the statement wrote (and the warm-up's) are what the relay claims.
            await _measured(
                f"PostgreSQL: the relay's claim and mark of {batch} rows (its settings); per booking",
                relay_batch,
                rate,
                seconds,
                _postgres,
                per_call=batch,
                generator_seconds=generator_seconds,
            ),
            await _measured(
                f"PostgreSQL: BEGIN, {batch} bookings of two statements pipelined, COMMIT; per booking",
                transaction,
                rate,
                seconds,
                _postgres,
                per_call=batch,
                generator_seconds=generator_seconds,
            ),
        ]


async def amqp_hop(amqp_url: str, rate: float, seconds: float, generator_seconds: float, batch: int) -> Hop:
    """Persistent messages published `batch` at a time, each with its confirm, to a quorum queue, and consumed with
    one ack (`multiple`) per `batch`, as the relay and shared/acks.py do."""
    queue_name = f"bench_floor_{uuid.uuid4().hex[:8]}"
    publisher = await aio_pika.connect(amqp_url)
    consumer = await aio_pika.connect(amqp_url)
    try:
        publishing = await publisher.channel(publisher_confirms=True)
        consuming = await consumer.channel()
        await consuming.set_qos(prefetch_count=256)
        queue = await consuming.declare_queue(queue_name, durable=True, arguments={"x-queue-type": "quorum"})
        consumed, expected, all_consumed = 0, -1, asyncio.Event()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal consumed
            consumed += 1
            if consumed % batch == 0:
                await message.ack(multiple=True)
            if consumed >= expected > 0:
                all_consumed.set()

        consumer_tag = await queue.consume(on_message)
        try:

            async def publish_batch() -> str | None:
                await asyncio.gather(
                    *(
                        publishing.default_exchange.publish(
                            aio_pika.Message(EVENT_BODY, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                            routing_key=queue_name,
                            mandatory=True,
                        )
                        for _ in range(batch)
                    )
                )
                return None

            warm_up, _ = await open_loop(publish_batch, rate / batch, 1.0, MAX_IN_FLIGHT)

            async def until_consumed(operations: int) -> None:
                # Every message published is consumed within the measurement, the warm-up's included.
                nonlocal expected
                expected = len(warm_up.latencies) * batch + operations
                if consumed < expected:
                    await asyncio.wait_for(all_consumed.wait(), 30)

            name = f"RabbitMQ: published {batch} at a time with confirms, acked {batch} at a time (quorum queue)"
            return await _measured(
                name,
                publish_batch,
                rate,
                seconds,
                _rabbitmq,
                per_call=batch,
                generator_seconds=generator_seconds,
                until_done=until_consumed,
            )
        finally:
            await queue.cancel(consumer_tag)
            await queue.delete(if_unused=False, if_empty=False)
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
    sink = await asyncio.create_subprocess_exec(sys.executable, "-c", _SINK, str(port), cwd=ROOT)
    channels: list[EmailChannel] = []
    try:
        await _until_answers(port, sink)
        # Every field the channel reads, so that no NOTIFICATIONS_* variable of the shell sends it elsewhere.
        settings = NotificationsSettings(
            smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, smtp_username=None, smtp_password=None
        )
        channels = [EmailChannel(settings) for _ in range(4)]
        idle: asyncio.Queue[EmailChannel] = asyncio.Queue()
        for channel in channels:
            idle.put_nowait(channel)

        async def send() -> str | None:
            channel = await idle.get()
            try:
                await channel.send(str(uuid.uuid4()), "rose.tremblay@example.org", "Rendez-vous confirmé", MAIL_BODY)
            finally:
                idle.put_nowait(channel)
            return None

        await open_loop(send, rate, 1.0, MAX_IN_FLIGHT)
        name = "SMTP: one e-mail (the platform's PIPELINING channel)"

        def groups() -> dict[str, list[int]]:
            return {"mail sink": [sink.pid]}

        return await _measured(name, send, rate, seconds, groups, generator_seconds=generator_seconds)
    finally:
        for channel in channels:
            await channel.close()
        sink.terminate()
        await sink.wait()


def floor_ms(hops: dict[str, Hop]) -> dict[str, float]:
    """What one confirmed booking needs of each hop, by the process that pays it (sink and load generator apart)."""
    http_forward = hops["http_forward"].ms_per_operation
    statement = hops["pg_statement"].ms_per_operation
    relay = hops["pg_relay"].ms_per_operation
    transaction = hops["pg_transaction"].ms_per_operation
    amqp = hops["amqp"].ms_per_operation
    smtp = hops["smtp"].ms_per_operation
    return {
        "gateway: forward": http_forward["forward"],
        "appointments: answer": http_forward["answer"],
        "appointments: the booking's statement": statement[CLIENT],
        "appointments: the relay's claim and mark": relay[CLIENT],
        "relay and consumer: publish, consume, ack": amqp[CLIENT],
        "notifications: its share of two batched transactions (record; claim and mark)": 2 * transaction[CLIENT],
        "notifications: one e-mail": smtp[CLIENT],
        "postgres: the statement, the relay's share and two batched transactions": statement[POSTGRES]
        + relay[POSTGRES]
        + 2 * transaction[POSTGRES],
        "rabbitmq: one message": amqp[RABBITMQ],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=RATE)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "floor.json")
    return parser.parse_args(argv)


async def measure(rate: float, seconds: float, pg_url: str, amqp_url: str) -> dict[str, Any]:
    generator, batch = await generator_seconds_per_call(rate, seconds), batch_at(rate)
    http_answer, http_forward = await http_hops(rate, seconds)
    pg_statement, pg_relay, pg_transaction = await postgres_hops(pg_url, rate, seconds, generator, batch)
    hops = {
        "http_answer": http_answer,
        "http_forward": http_forward,
        "pg_statement": pg_statement,
        "pg_relay": pg_relay,
        "pg_transaction": pg_transaction,
        "amqp": await amqp_hop(amqp_url, rate, seconds, generator, batch),
        "smtp": await smtp_hop(rate, seconds, generator),
    }
    floor = floor_ms(hops)
    return {
        "rate": rate,
        "seconds": seconds,
        "batch": batch,
        "generator_ms_per_call": round(1000 * generator, 3),
        "hops": {key: asdict(hop) for key, hop in hops.items()},
        "floor_ms": floor,
        "floor_total_ms": round(sum(floor.values()), 3),
        "goal_ms": GOAL_MS,
    }


def run_alone(rate: float, seconds: float) -> dict[str, Any]:
    """The floor measured in a process of its own (for `make bench`): none of the caller's heap, garbage
    collector or event loop in its figures. Its figures, or RuntimeError."""
    output = BENCH_DIR / f".floor-{uuid.uuid4().hex[:8]}.json"
    command = [sys.executable, "-m", "bench.floor", "--rate", str(rate), "--seconds", str(seconds)]
    try:
        subprocess.run([*command, "--output", str(output)], cwd=ROOT, check=True, timeout=600)
        figures: dict[str, Any] = json.loads(output.read_text())
        return figures
    except (subprocess.SubprocessError, OSError, ValueError) as exc:
        raise RuntimeError(f"bench.floor failed: {exc}") from exc
    finally:
        output.unlink(missing_ok=True)


def report(figures: dict[str, Any]) -> str:
    hops, floor = figures["hops"], figures["floor_ms"]
    lines = [f"An estimate of the floor of a confirmed booking: each hop alone, open loop at {figures['rate']:.0f}/s"]
    for hop in hops.values():
        spent = ", ".join(f"{label} {ms:.3f}" for label, ms in hop["ms_per_operation"].items())
        lines.append(f"  {hop['name']}: {hop['operations']} done, errors {hop['errors'] or 0}; CPU ms each: {spent}")
    lines.append("  per confirmed booking, sink and load generator apart:")
    lines.extend(f"    {label}: {ms:.3f} ms" for label, ms in floor.items())
    total, goal = figures["floor_total_ms"], figures["goal_ms"]
    lines.append(
        f"  floor {total:.2f} ms of platform CPU per confirmed booking, goal {goal:.1f} ms (ratio "
        f"{total / goal:.2f}), leaving {goal - total:.2f} ms for all of the platform's own work"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # As every service does at start: the measured clients run with the collector the platform's processes have.
    settle_garbage_collector()
    figures = uvloop.run(measure(args.rate, args.seconds, *server_urls()))
    args.output.write_text(json.dumps(figures, indent=2))
    print(report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
