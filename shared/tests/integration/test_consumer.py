"""Consumers against real RabbitMQ and PostgreSQL: inbox dedup, dead-lettering, ack after commit."""

import asyncio
import uuid

import aio_pika
from sqlalchemy import text

from shared.bus import Bus
from shared.consumer import EventConsumer
from shared.logging import current_correlation_id
from shared.tests.integration.conftest import Parcel, Ping, Pong

effects = text("CREATE TABLE IF NOT EXISTS test_effects (n int NOT NULL)")


async def _wait_until(predicate, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def _effect_count(sessions) -> int:
    async with sessions() as session:
        return (await session.execute(text("SELECT count(*) FROM test_effects"))).scalar_one()


async def _consumer(sessions, amqp_url: str, namespace: str, fail_on: int | None = None) -> Bus:
    async with sessions() as session:
        await session.execute(effects)
        await session.execute(text("TRUNCATE test_effects"))
        await session.commit()

    async def on_ping(uow, event: Ping) -> None:
        await uow.session.execute(text("INSERT INTO test_effects (n) VALUES (:n)"), {"n": event.n})
        if event.n == fail_on:
            raise RuntimeError("this handler always fails for this event")

    bus = Bus(amqp_url, "test", namespace=namespace, prefetch=8, delivery_limit=3)
    consumer = EventConsumer(sessions, [on_ping])
    bus.subscribe(consumer.binding_keys, consumer)
    await bus.connect()
    return bus


async def _ready_messages(amqp_url: str, queue_name: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, passive=True)
        return queue.declaration_result.message_count or 0
    finally:
        await connection.close()


async def _dlq_depth(amqp_url: str, bus: Bus) -> int:
    return await _ready_messages(amqp_url, bus.dlq_name)


async def test_the_same_event_delivered_twice_is_applied_once(sessions, amqp_url, bus_namespace):
    bus = await _consumer(sessions, amqp_url, bus_namespace)
    try:
        envelope = Ping(n=7).to_envelope(correlation_id="c-1")
        for _ in range(2):
            await bus.publish(envelope.routing_key, envelope.model_dump_json().encode(), message_id=str(envelope.id))
        later = Ping(n=8).to_envelope()
        await bus.publish(later.routing_key, later.model_dump_json().encode(), message_id=str(later.id))

        async def both_seen() -> bool:
            return await _effect_count(sessions) >= 2

        await _wait_until(both_seen)
        await asyncio.sleep(0.5)
        async with sessions() as session:
            ns = sorted((await session.execute(text("SELECT n FROM test_effects"))).scalars())
            inbox = (await session.execute(text("SELECT count(*) FROM inbox"))).scalar_one()
        assert ns == [7, 8]
        assert inbox == 2
    finally:
        await bus.close()


async def test_failing_event_ends_in_dlq_after_delivery_limit_and_queue_keeps_flowing(
    sessions, amqp_url, bus_namespace
):
    bus = await _consumer(sessions, amqp_url, bus_namespace, fail_on=13)
    try:
        poison = Ping(n=13).to_envelope()
        await bus.publish(poison.routing_key, poison.model_dump_json().encode(), message_id=str(poison.id))
        for n in range(20):
            good = Ping(n=n + 100).to_envelope()
            await bus.publish(good.routing_key, good.model_dump_json().encode(), message_id=str(good.id))

        async def poison_dead_lettered() -> bool:
            return await _dlq_depth(amqp_url, bus) == 1

        await _wait_until(poison_dead_lettered)
        async with sessions() as session:
            ns = sorted((await session.execute(text("SELECT n FROM test_effects"))).scalars())
            inbox_has_poison = (
                await session.execute(text("SELECT count(*) FROM inbox WHERE event_id = :id"), {"id": poison.id})
            ).scalar_one()
        # Every good event applied once; the failing handler's writes were rolled back each time.
        assert ns == list(range(100, 120))
        assert inbox_has_poison == 0
    finally:
        await bus.close()


async def test_malformed_message_goes_straight_to_dlq(sessions, amqp_url, bus_namespace):
    bus = await _consumer(sessions, amqp_url, bus_namespace)
    try:
        await bus.publish(Ping.routing_key(), b"{not json", message_id=str(uuid.uuid4()))

        async def dead_lettered() -> bool:
            return await _dlq_depth(amqp_url, bus) == 1

        await _wait_until(dead_lettered, timeout=5)
        assert await _effect_count(sessions) == 0
    finally:
        await bus.close()


TRANSACTIONS = text("CREATE TABLE IF NOT EXISTS test_transactions (n int NOT NULL, tx bigint, correlation_id text)")


async def _recording_consumer(sessions, amqp_url: str, namespace: str, alone: tuple = ()) -> Bus:
    """Each event records the transaction it was applied in and the correlation id its handler saw."""
    async with sessions() as session:
        await session.execute(TRANSACTIONS)
        await session.execute(text("TRUNCATE test_transactions"))
        await session.commit()

    async def on_ping(uow, event: Ping) -> None:
        await uow.session.execute(
            text("INSERT INTO test_transactions VALUES (:n, txid_current(), :c)"),
            {"n": event.n, "c": current_correlation_id()},
        )

    bus = Bus(amqp_url, "test", namespace=namespace, prefetch=32, delivery_limit=3)
    consumer = EventConsumer(sessions, [on_ping], alone=alone)
    bus.subscribe(consumer.binding_keys, consumer)
    return bus


async def _publish_burst(bus: Bus, count: int) -> dict[int, str]:
    """Publishes `count` events before the consumer starts, so that they arrive together."""
    correlations = {}
    for n in range(count):
        envelope = Ping(n=n).to_envelope(correlation_id=f"burst-{n}")
        correlations[n] = envelope.correlation_id
        await bus.publish(envelope.routing_key, envelope.model_dump_json().encode(), message_id=str(envelope.id))
    return correlations


async def _transactions(sessions) -> list[tuple[int, int, str]]:
    async with sessions() as session:
        rows = await session.execute(text("SELECT n, tx, correlation_id FROM test_transactions"))
        return [tuple(row) for row in rows]


async def test_events_arriving_together_are_applied_in_shared_transactions_each_in_its_own_context(
    sessions, amqp_url, bus_namespace
):
    bus = await _recording_consumer(sessions, amqp_url, bus_namespace)
    try:
        await bus.connect()
        await bus.stop_consuming()  # the queue exists; the burst waits in it
        correlations = await _publish_burst(bus, 60)
        await bus.close()
        bus = await _recording_consumer(sessions, amqp_url, bus_namespace)
        await bus.connect()

        async def all_applied() -> bool:
            return len(await _transactions(sessions)) >= 60

        await _wait_until(all_applied)
        await asyncio.sleep(0.3)
        rows = await _transactions(sessions)
        assert sorted(n for n, _, _ in rows) == list(range(60))
        # Fewer transactions than events: the burst was batched.
        assert len({tx for _, tx, _ in rows}) < 30
        # Yet each handler ran with its own event's correlation id.
        assert {n: correlation for n, _, correlation in rows} == correlations
    finally:
        await bus.close()


async def test_events_that_must_be_alone_get_a_transaction_each(sessions, amqp_url, bus_namespace):
    bus = await _recording_consumer(sessions, amqp_url, bus_namespace, alone=(Ping,))
    try:
        await bus.connect()
        await bus.stop_consuming()
        await _publish_burst(bus, 20)
        await bus.close()
        bus = await _recording_consumer(sessions, amqp_url, bus_namespace, alone=(Ping,))
        await bus.connect()

        async def all_applied() -> bool:
            return len(await _transactions(sessions)) >= 20

        await _wait_until(all_applied)
        rows = await _transactions(sessions)
        assert len({tx for _, tx, _ in rows}) == 20
    finally:
        await bus.close()


async def test_events_of_no_concern_are_acked_without_a_transaction_nor_an_inbox_row(sessions, amqp_url, bus_namespace):
    async with sessions() as session:
        await session.execute(effects)
        await session.execute(text("TRUNCATE test_effects"))
        await session.execute(text("TRUNCATE inbox"))
        await session.commit()

    async def on_ping(uow, event: Ping) -> None:
        await uow.session.execute(text("INSERT INTO test_effects (n) VALUES (:n)"), {"n": event.n})

    bus = Bus(amqp_url, "test", namespace=bus_namespace, prefetch=8, delivery_limit=3)
    consumer = EventConsumer(sessions, [on_ping], ignore_when={Ping: lambda event: event.n % 2 == 1})
    bus.subscribe(consumer.binding_keys, consumer)
    await bus.connect()
    try:
        for n in range(6):
            envelope = Ping(n=n).to_envelope()
            await bus.publish(envelope.routing_key, envelope.model_dump_json().encode(), message_id=str(envelope.id))

        async def evens_applied() -> bool:
            return await _effect_count(sessions) >= 3

        await _wait_until(evens_applied)
        await asyncio.sleep(0.5)
        async with sessions() as session:
            ns = sorted((await session.execute(text("SELECT n FROM test_effects"))).scalars())
            inbox = (await session.execute(text("SELECT count(*) FROM inbox"))).scalar_one()
        assert ns == [0, 2, 4]
        assert inbox == 3  # the odd ones left no inbox row and no effect
    finally:
        await bus.close()


async def test_acks_sent_together_settle_every_message_and_a_failing_one_is_redelivered_alone(
    sessions, amqp_url, bus_namespace
):
    """Acks leave as `multiple` frames (shared.acks): once the consumer's connection closes, nothing it applied
    may come back (an ack never sent would requeue it), and the event that failed twice came back alone."""
    async with sessions() as session:
        await session.execute(effects)
        await session.execute(text("TRUNCATE test_effects"))
        await session.commit()
    failures = {"left": 2}

    async def on_ping(uow, event: Ping) -> None:
        await uow.session.execute(text("INSERT INTO test_effects (n) VALUES (:n)"), {"n": event.n})
        if event.n == 13 and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("fails twice, then succeeds")

    bus = Bus(amqp_url, "test", namespace=bus_namespace, prefetch=8, delivery_limit=5)
    consumer = EventConsumer(sessions, [on_ping], ignore_when={Ping: lambda event: event.n >= 1000})
    bus.subscribe(consumer.binding_keys, consumer)
    await bus.connect()
    try:
        for n in [*range(60), *range(1000, 1020)]:
            envelope = Ping(n=n).to_envelope()
            await bus.publish(envelope.routing_key, envelope.model_dump_json().encode(), message_id=str(envelope.id))

        async def all_applied() -> bool:
            return await _effect_count(sessions) >= 60

        await _wait_until(all_applied)
        await asyncio.sleep(0.5)
    finally:
        await bus.close()
    assert await _ready_messages(amqp_url, bus.queue_name) == 0
    async with sessions() as session:
        ns = sorted((await session.execute(text("SELECT n FROM test_effects"))).scalars())
    assert ns == list(range(60))
    assert failures["left"] == 0


async def test_a_run_taking_handler_gets_consecutive_events_together_in_their_order(sessions, amqp_url, bus_namespace):
    """`events: list[Ping]`: one call per run of consecutive pings in a batch; an event of another kind between
    two runs is applied between them (order kept), and every event is still applied exactly once."""
    async with sessions() as session:
        await session.execute(effects)
        await session.execute(text("TRUNCATE test_effects"))
        await session.commit()
    runs: list[list[int]] = []
    order: list[str] = []
    all_published = asyncio.Event()

    async def on_pings(uow, events: list[Ping]) -> None:
        # The first call waits for every event to be published, so that the rest queue up and batch.
        await all_published.wait()
        runs.append([event.n for event in events])
        order.extend(f"ping {event.n}" for event in events)
        for event in events:
            await uow.session.execute(text("INSERT INTO test_effects (n) VALUES (:n)"), {"n": event.n})

    async def on_pong(uow, event: Pong) -> None:
        order.append(f"pong {event.n}")

    bus = Bus(amqp_url, "test", namespace=bus_namespace, prefetch=64, delivery_limit=3)
    consumer = EventConsumer(sessions, [on_pings, on_pong], max_batch=64, runners=1)
    bus.subscribe(consumer.binding_keys, consumer)
    await bus.connect()
    try:
        for n in range(40):
            envelope = (Pong(n=n) if n == 20 else Ping(n=n)).to_envelope()
            await bus.publish(envelope.routing_key, envelope.model_dump_json().encode(), message_id=str(envelope.id))
        await asyncio.sleep(0.3)
        all_published.set()

        async def all_applied() -> bool:
            return len(order) == 40 and await _effect_count(sessions) == 39

        await _wait_until(all_applied)
    finally:
        await bus.close()
    assert order == [f"pong {n}" if n == 20 else f"ping {n}" for n in range(40)]
    assert sorted(n for run in runs for n in run) == [n for n in range(40) if n != 20]
    assert len(runs) <= 4  # [0], then the rest in runs around the pong: not a call per ping
    assert all(run == sorted(run) and not run[0] < 20 < run[-1] for run in runs)


async def test_an_event_of_a_topic_not_chosen_is_ignored_when_it_comes_by_the_bare_key(
    sessions, amqp_url, bus_namespace
):
    """As an older producer publishes it (the bare key, which the queue keeps bound): acked without a transaction."""
    async with sessions() as session:
        await session.execute(effects)
        await session.execute(text("TRUNCATE test_effects"))
        await session.execute(text("TRUNCATE inbox"))
        await session.commit()

    async def on_parcel(uow, event: Parcel) -> None:
        await uow.session.execute(text("INSERT INTO test_effects (n) VALUES (:n)"), {"n": event.grams})

    bus = Bus(amqp_url, "test", namespace=bus_namespace, prefetch=8, delivery_limit=3)
    consumer = EventConsumer(sessions, [on_parcel], only_topics={Parcel: ("big",)})
    bus.subscribe(consumer.binding_keys, consumer)
    await bus.connect()
    try:
        for grams in (20, 5000, 30):
            envelope = Parcel(grams=grams).to_envelope()
            await bus.publish(envelope.routing_key, envelope.model_dump_json().encode(), message_id=str(envelope.id))

        async def big_applied() -> bool:
            return await _effect_count(sessions) >= 1

        await _wait_until(big_applied)
        await asyncio.sleep(0.5)
        async with sessions() as session:
            grams_applied = list((await session.execute(text("SELECT n FROM test_effects"))).scalars())
            inbox = (await session.execute(text("SELECT count(*) FROM inbox"))).scalar_one()
        assert grams_applied == [5000]
        assert inbox == 1
    finally:
        await bus.close()
