"""The outbox relay against real PostgreSQL and RabbitMQ."""

import asyncio
from contextlib import asynccontextmanager

import aio_pika
from sqlalchemy import text

from devstack.testing.plans import plans_after_growth
from shared.bus import Bus, declare_events_exchange
from shared.db import asyncpg_dsn
from shared.outbox import (
    CLAIM_SQL,
    MARK_FAILED_SQL,
    MARK_PUBLISHED_SQL,
    PRUNE_SQL,
    RELAY_SERVER_SETTINGS,
    OutboxRelay,
)
from shared.tests.integration.conftest import Ping
from shared.unit_of_work import UnitOfWork


async def _collect(amqp_url: str, namespace: str, into: list[str]) -> aio_pika.abc.AbstractConnection:
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    exchange = await declare_events_exchange(channel, namespace)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, Ping.routing_key())

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        into.append(message.message_id or "")
        await message.ack()

    await queue.consume(on_message)
    return connection


async def _stage(sessions, count: int, commit: bool = True, wake=None) -> None:
    async with UnitOfWork(sessions, wake) as uow:
        for n in range(count):
            uow.publish(Ping(n=n))
        if commit:
            await uow.commit()


async def _wait_until(predicate, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_uncommitted_unit_of_work_writes_no_event(sessions):
    await _stage(sessions, 3, commit=False)
    async with sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM outbox"))).scalar_one() == 0


async def test_two_relays_publish_every_event_exactly_once(sessions, messaging_db_url, amqp_url, bus_namespace):
    received: list[str] = []
    buses = [Bus(amqp_url, f"relay{i}", namespace=bus_namespace) for i in range(2)]
    for bus in buses:
        await bus.connect()
    collector = await _collect(amqp_url, bus_namespace, received)
    relays = [OutboxRelay(asyncpg_dsn(messaging_db_url), bus, poll_seconds=0.2, batch_size=50) for bus in buses]
    tasks = [asyncio.create_task(relay.run()) for relay in relays]
    try:
        for _ in range(10):
            await _stage(sessions, 50)
        await _wait_until(lambda: len(received) >= 500)
        await asyncio.sleep(0.5)  # room for any duplicate to show up
        assert len(received) == 500
        assert len(set(received)) == 500
        backlog, _ = await relays[0].backlog()
        assert backlog == 0
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for relay in relays:
            await relay.stop()
        for bus in buses:
            await bus.close()
        await collector.close()


@asynccontextmanager
async def _relaying(dsn: str, amqp_url: str, namespace: str, poll_seconds: float, into: list[str]):
    """A running relay, and a queue collecting what it publishes into `into`."""
    bus = Bus(amqp_url, "relay", namespace=namespace)
    await bus.connect()
    collector = await _collect(amqp_url, namespace, into)
    relay = OutboxRelay(dsn, bus, poll_seconds=poll_seconds)
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await relay.stop()
        await bus.close()
        await collector.close()


async def test_relay_wakes_on_its_units_of_work_commits_without_waiting_for_the_poll(
    sessions, messaging_db_url, amqp_url, bus_namespace
):
    received: list[str] = []
    async with _relaying(asyncpg_dsn(messaging_db_url), amqp_url, bus_namespace, 30, received) as relay:
        await asyncio.sleep(0.5)  # the relay is now idle, waiting up to 30 s
        started = asyncio.get_running_loop().time()
        await _stage(sessions, 1, wake=relay.wake)
        await _wait_until(lambda: len(received) == 1, timeout=5)
        assert asyncio.get_running_loop().time() - started < 2
        # A commit without events does not wake it: nothing would be claimed.
        async with UnitOfWork(sessions, on_events_committed=lambda: received.append("woken")) as uow:
            await uow.commit()
        assert received[1:] == []


async def test_relay_polls_for_events_committed_by_another_process(sessions, messaging_db_url, amqp_url, bus_namespace):
    received: list[str] = []
    async with _relaying(asyncpg_dsn(messaging_db_url), amqp_url, bus_namespace, 0.5, received):
        await asyncio.sleep(0.7)  # idle: the next claim comes from the poll, not a wake-up
        await _stage(sessions, 2)  # no wake-up wired, as for a script or another replica
        await _wait_until(lambda: len(received) == 2, timeout=5)


RELAY_STATEMENTS = {
    "claim": (CLAIM_SQL, "256"),
    "mark": (MARK_PUBLISHED_SQL, "'{1,2,3}'"),
    "failed": (MARK_FAILED_SQL, "'{1,2,3}', 'refused'"),
    "prune": (PRUNE_SQL, ""),
}
# An hour of a busy day's published events, or a surge's backlog.
GROWN_OUTBOX = (
    "INSERT INTO outbox (event_id, routing_key, body, published_at) "
    "SELECT gen_random_uuid(), 'test.ping.v1', NULL, CASE WHEN n % 10 = 0 THEN NULL ELSE now() END "
    "FROM generate_series(1, 20000) AS n"
)


async def _plans_after_growth(messaging_db_url: str, settings: dict[str, str]) -> dict[str, str]:
    """The relay's statements prepared on an empty outbox, as a relay's connection does, then their kept plans
    once the outbox holds 20,000 rows."""
    return await plans_after_growth(
        asyncpg_dsn(messaging_db_url), settings, RELAY_STATEMENTS, "TRUNCATE outbox RESTART IDENTITY", GROWN_OUTBOX
    )


async def test_the_relays_statements_keep_index_plans_made_while_the_outbox_was_small(messaging_db_url):
    plans = await _plans_after_growth(messaging_db_url, RELAY_SERVER_SETTINGS)
    for name, plan in plans.items():
        assert "JIT" not in plan, f"{name}:\n{plan}"  # the prune has no index: compiled, it took 36 ms and more
        if name != "prune":
            assert "Seq Scan" not in plan, f"{name}:\n{plan}"
            assert "Bitmap" not in plan, f"{name}:\n{plan}"
    assert "outbox_unpublished" in plans["claim"]
    assert "outbox_pkey" in plans["mark"]
    # Why the setting: without it, the mark's plan made on the empty outbox reads the whole table at every batch.
    unset = {name: value for name, value in RELAY_SERVER_SETTINGS.items() if name != "enable_seqscan"}
    assert "Seq Scan on outbox" in (await _plans_after_growth(messaging_db_url, unset))["mark"]


async def test_the_relays_connections_start_with_its_settings(messaging_db_url):
    relay = OutboxRelay(asyncpg_dsn(messaging_db_url), Bus("amqp://unused/", "test"))
    try:
        await relay.backlog()  # opens the relay's own pool
        pool = relay._pool  # the relay's own pool: what its statements run on
        assert pool is not None
        for name, value in RELAY_SERVER_SETTINGS.items():
            assert await pool.fetchval(f"SELECT current_setting('{name}')") == value
    finally:
        await relay.stop()
