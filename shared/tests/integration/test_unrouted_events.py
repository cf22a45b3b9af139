"""Events no service consumes: published to the bounded `unrouted` queue through the events exchange's
alternate exchange, not returned and retried for ever; `mandatory` still refuses what reaches no queue at all.
Against the real broker and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
import pytest
import structlog
from aio_pika.abc import AbstractChannel
from aiormq.exceptions import ChannelPreconditionFailed
from sqlalchemy import text

from shared import bus as bus_module
from shared import outbox as outbox_module
from shared.bus import UNROUTED_QUEUE_ARGUMENTS, Bus, declare_events_exchange, legacy_events_exchange_name
from shared.db import asyncpg_dsn
from shared.metrics import EVENTS_FAILED, EVENTS_PUBLISHED
from shared.outbox import OutboxRelay
from shared.tests.integration.conftest import Ping
from shared.unit_of_work import UnitOfWork


@asynccontextmanager
async def _relaying(dsn: str, amqp_url: str, namespace: str) -> AsyncIterator[Bus]:
    bus = Bus(amqp_url, "relay", namespace=namespace)
    await bus.connect()
    relay = OutboxRelay(dsn, bus, poll_seconds=0.1)
    task = asyncio.create_task(relay.run())
    try:
        yield bus
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await relay.stop()
        await bus.close()


@asynccontextmanager
async def _channel(amqp_url: str) -> AsyncIterator[AbstractChannel]:
    connection = await aio_pika.connect(amqp_url)
    try:
        yield await connection.channel()
    finally:
        await connection.close()


async def _stage_ping(sessions, n: int = 1) -> None:
    async with UnitOfWork(sessions, None) as uow:
        uow.publish(Ping(n=n))
        await uow.commit()


async def _outbox_row(sessions):
    async with sessions() as session:
        return (
            await session.execute(text("SELECT event_id, published_at, attempts, last_error, body FROM outbox"))
        ).one()


async def _wait_for(probe, timeout: float = 10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await probe()):
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)
    return result


async def _unrouted_message_ids(amqp_url: str, queue_name: str) -> list[str]:
    """What the unrouted queue holds, taken off it (nobody else reads a test namespace's queue)."""
    ids = []
    async with _channel(amqp_url) as channel:
        queue = await channel.get_queue(queue_name)
        while (message := await queue.get(fail=False)) is not None:
            ids.append(message.message_id or "")
            await message.ack()
    return ids


async def test_an_event_nobody_consumes_is_published_once_to_the_unrouted_queue(
    sessions, messaging_db_url, amqp_url, bus_namespace, monkeypatch
):
    # Fresh loggers: the modules' own may already be bound to the processors of an earlier test's
    # configure_logging (cache_logger_on_first_use), which capture_logs cannot see.
    for module in (bus_module, outbox_module):
        monkeypatch.setattr(module, "log", structlog.get_logger(module.__name__))
    failed = EVENTS_FAILED.labels(Ping.routing_key(), "publish")
    failures_before = failed._value.get()
    published_before = EVENTS_PUBLISHED.labels(Ping.routing_key())._value.get()
    with structlog.testing.capture_logs() as logs:
        async with _relaying(asyncpg_dsn(messaging_db_url), amqp_url, bus_namespace) as bus:
            # No queue is bound for test.ping.v1: before the alternate exchange the broker returned it.
            await _stage_ping(sessions)

            async def published():
                row = await _outbox_row(sessions)
                return row if row.published_at is not None else None

            row = await _wait_for(published)
            await asyncio.sleep(1.0)  # ten polls: room for a retry loop to show itself
            unrouted = await _unrouted_message_ids(amqp_url, bus.unrouted_queue_name)

    assert row.attempts == 0
    assert row.last_error is None
    assert row.body is None  # blanked once sent, like any published event
    assert unrouted == [str(row.event_id)]
    assert failed._value.get() == failures_before
    assert EVENTS_PUBLISHED.labels(Ping.routing_key())._value.get() == published_before + 1
    assert "broker_connected" in [entry["event"] for entry in logs]  # the capture sees the bus and relay's logs
    assert not [entry for entry in logs if entry["log_level"] == "warning"], logs


async def test_the_unrouted_queue_is_bounded_in_length_bytes_and_age(amqp_url, bus_namespace):
    bus = Bus(amqp_url, "relay", namespace=bus_namespace)
    await bus.connect()
    await bus.close()
    # RabbitMQ refuses to declare an existing queue with other arguments: the broker holds exactly these.
    async with _channel(amqp_url) as channel:
        await channel.declare_queue(bus.unrouted_queue_name, durable=True, arguments=UNROUTED_QUEUE_ARGUMENTS)
    assert UNROUTED_QUEUE_ARGUMENTS["x-overflow"] == "drop-head"
    for bound in ("x-max-length", "x-max-length-bytes", "x-message-ttl"):
        assert isinstance(UNROUTED_QUEUE_ARGUMENTS[bound], int)
        assert UNROUTED_QUEUE_ARGUMENTS[bound] > 0
        unbounded = {key: value for key, value in UNROUTED_QUEUE_ARGUMENTS.items() if key != bound}
        with pytest.raises(ChannelPreconditionFailed):
            async with _channel(amqp_url) as channel:
                await channel.declare_queue(bus.unrouted_queue_name, durable=True, arguments=unbounded)


async def test_the_oldest_unrouted_events_are_dropped_past_the_length_limit(amqp_url, bus_namespace):
    """The same arguments on a queue of 3: the broker drops from the head, so the newest stay."""
    arguments = UNROUTED_QUEUE_ARGUMENTS | {"x-max-length": 3}
    async with _channel(amqp_url) as channel:
        queue = await channel.declare_queue(f"{bus_namespace}bounded", arguments=arguments, exclusive=True)
        for n in range(5):
            await channel.default_exchange.publish(aio_pika.Message(b"{}", message_id=str(n)), queue.name)
        kept = []
        while (message := await queue.get(fail=False)) is not None:
            kept.append(message.message_id)
            await message.ack()
    assert kept == ["2", "3", "4"]


async def test_mandatory_still_refuses_an_event_that_reaches_no_queue(
    sessions, messaging_db_url, amqp_url, bus_namespace
):
    failed = EVENTS_FAILED.labels(Ping.routing_key(), "publish")
    failures_before = failed._value.get()
    async with _relaying(asyncpg_dsn(messaging_db_url), amqp_url, bus_namespace) as bus:
        # The alternate exchange gone (an operator deleted it): nothing can take the event any more.
        async with _channel(amqp_url) as channel:
            await channel.exchange_delete(bus.unrouted_exchange_name)
        await _stage_ping(sessions)

        async def refused():
            row = await _outbox_row(sessions)
            return row if row.attempts >= 1 else None

        row = await _wait_for(refused)
    assert row.published_at is None
    assert "refused" in row.last_error
    assert failed._value.get() > failures_before


async def test_events_published_to_the_former_exchange_still_arrive_once(amqp_url, bus_namespace):
    """A broker upgraded from the exchange without an alternate one: a pod of the previous release publishing
    there during a rolling upgrade still reaches each queue exactly once, and what nobody binds is unrouted."""
    legacy_name = legacy_events_exchange_name(bus_namespace)
    async with _channel(amqp_url) as channel:
        legacy = await channel.declare_exchange(legacy_name, aio_pika.ExchangeType.TOPIC, durable=True)
        events = await declare_events_exchange(channel, bus_namespace)
        # A consumer's queue as upgraded: bound to the former exchange by the old release, to the new by the new.
        queue = await channel.declare_queue(f"{bus_namespace}upgraded")
        await queue.bind(legacy, Ping.routing_key())
        await queue.bind(events, Ping.routing_key())
    bus = Bus(amqp_url, "relay", namespace=bus_namespace)
    await bus.connect()  # binds the new exchange to the former one
    try:
        # As the previous release publishes: confirms and mandatory, on the former exchange.
        connection = await aio_pika.connect(amqp_url)
        try:
            publisher = await connection.channel(publisher_confirms=True, on_return_raises=True)
            former = await publisher.get_exchange(legacy_name)
            await former.publish(aio_pika.Message(b"{}", message_id="bound"), Ping.routing_key(), mandatory=True)
            await former.publish(aio_pika.Message(b"{}", message_id="unbound"), "test.nobody.v1", mandatory=True)
        finally:
            await connection.close()
        await asyncio.sleep(0.3)
        async with _channel(amqp_url) as channel:
            upgraded = await channel.declare_queue(f"{bus_namespace}upgraded", passive=True)
            assert upgraded.declaration_result.message_count == 1
        assert await _unrouted_message_ids(amqp_url, bus.unrouted_queue_name) == ["unbound"]
    finally:
        await bus.close()
        async with _channel(amqp_url) as channel:
            await channel.queue_delete(f"{bus_namespace}upgraded")
            await channel.exchange_delete(legacy_name)
