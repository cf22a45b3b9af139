"""ServiceRuntime's shutdown (what SIGTERM runs): delivered messages finish and ack before the broker
connection closes, and a handler that never finishes cannot hold the process past its grace period."""

import asyncio
import time

import aio_pika
from sqlalchemy import text

from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings
from shared.tests.integration.conftest import Ping

EFFECTS = text("CREATE TABLE IF NOT EXISTS test_effects (n int NOT NULL)")
IN_HAND = 5


async def _prepare_effects(sessions) -> None:
    async with sessions() as session:
        await session.execute(EFFECTS)
        await session.execute(text("TRUNCATE test_effects"))
        await session.commit()


async def _effects(sessions) -> int:
    async with sessions() as session:
        return (await session.execute(text("SELECT count(*) FROM test_effects"))).scalar_one()


async def _queued(amqp_url: str, queue_name: str) -> int:
    """Messages waiting in the queue: those the stopped consumer did not ack went back there."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, passive=True)
        return queue.declaration_result.message_count or 0
    finally:
        await connection.close()


def _runtime(url: str, amqp_url: str, namespace: str, grace: float) -> ServiceRuntime:
    settings = ServiceSettings(
        service_name="test",
        environment="test",
        database_url=url,
        amqp_url=amqp_url,
        bus_namespace=namespace,
        shutdown_grace_seconds=grace,
    )
    return ServiceRuntime(settings)


async def _run_until_in_hand(runtime: ServiceRuntime, in_hand: set[int], amqp_url: str) -> float:
    """Starts the runtime, has IN_HAND messages delivered to the consumer (none left in the queue, some in
    the handler, the others waiting for a runner), then shuts it down; returns how long that took."""
    async with runtime.lifespan(None):
        while not runtime.bus.connected:
            await asyncio.sleep(0.05)
        for n in range(IN_HAND):
            envelope = Ping(n=n).to_envelope()
            await runtime.bus.publish(
                envelope.routing_key, envelope.model_dump_json().encode(), message_id=str(envelope.id)
            )
        deadline = time.monotonic() + 10
        while not in_hand or await _queued(amqp_url, runtime.bus.queue_name) > 0:
            assert time.monotonic() < deadline, "the messages did not reach the consumer"
            await asyncio.sleep(0.02)
        stopping = time.monotonic()
    return time.monotonic() - stopping


async def test_shutdown_lets_the_messages_in_hand_finish_and_ack(sessions, messaging_db_url, amqp_url, bus_namespace):
    await _prepare_effects(sessions)
    in_hand: set[int] = set()

    async def slow(uow, event: Ping) -> None:
        in_hand.add(event.n)
        await asyncio.sleep(1.0)  # still working when the shutdown begins
        await uow.session.execute(text("INSERT INTO test_effects (n) VALUES (:n)"), {"n": event.n})

    runtime = _runtime(messaging_db_url, amqp_url, bus_namespace, grace=10)
    runtime.consume([slow])
    seconds = await _run_until_in_hand(runtime, in_hand, amqp_url)

    assert await _effects(sessions) == IN_HAND  # every message in hand was applied...
    assert await _queued(amqp_url, runtime.bus.queue_name) == 0  # ...and acked: none comes back
    assert seconds < 5


async def test_a_stuck_handler_cannot_hold_the_process_past_its_grace_period(
    sessions, messaging_db_url, amqp_url, bus_namespace
):
    await _prepare_effects(sessions)
    in_hand: set[int] = set()
    release = asyncio.Event()

    async def stuck(uow, event: Ping) -> None:
        in_hand.add(event.n)
        await release.wait()

    runtime = _runtime(messaging_db_url, amqp_url, bus_namespace, grace=1.0)
    runtime.consume([stuck])
    try:
        seconds = await _run_until_in_hand(runtime, in_hand, amqp_url)
    finally:
        release.set()

    assert 1.0 <= seconds < 4  # the grace period, then the closing steps
    assert await _effects(sessions) == 0
    # Abandoned unacked, so they are redelivered to the next process (and deduplicated by its inbox).
    deadline = time.monotonic() + 10
    while await _queued(amqp_url, runtime.bus.queue_name) < IN_HAND:
        assert time.monotonic() < deadline, "the abandoned messages did not return to the queue"
        await asyncio.sleep(0.1)
