"""Event topics against real RabbitMQ: a queue bound to some topics of an event gets only those (and events
published with the bare key, as before topics), a queue bound to the event gets every topic."""

import asyncio
import uuid
from typing import ClassVar

import aio_pika
import pytest

from shared.bus import Bus, declare_events_exchange
from shared.consumer import EventConsumer
from shared.messages import EventEnvelope
from shared.tests.integration.conftest import Parcel


async def on_parcel(uow, event: Parcel) -> None:  # never runs here: only its bindings are looked at
    raise AssertionError


async def _received(queue: aio_pika.abc.AbstractQueue, expected: int) -> list[int]:
    grams: list[int] = []
    for _ in range(100):
        while (message := await queue.get(fail=False)) is not None:
            await message.ack()
            grams.append(EventEnvelope.model_validate_json(message.body).payload["grams"])
        if len(grams) >= expected:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # nothing more comes
    while (message := await queue.get(fail=False)) is not None:
        await message.ack()
        grams.append(EventEnvelope.model_validate_json(message.body).payload["grams"])
    return sorted(grams)


async def test_a_queue_bound_to_some_topics_hears_only_those_and_the_bare_key(amqp_url, bus_namespace):
    keeper = EventConsumer(None, [on_parcel], only_topics={Parcel: ("big",)})  # type: ignore[arg-type]
    hearer = EventConsumer(None, [on_parcel])  # type: ignore[arg-type]
    assert keeper.binding_keys == ["test.parcel.v1", "test.parcel.v1.big"]
    assert hearer.binding_keys == ["test.parcel.v1", "test.parcel.v1.*"]

    connection = await aio_pika.connect(amqp_url)
    bus = Bus(amqp_url, f"topics-{uuid.uuid4().hex[:6]}", namespace=bus_namespace)
    await bus.connect()
    try:
        channel = await connection.channel()
        exchange = await declare_events_exchange(channel, bus_namespace)
        queues = {}
        for name, consumer in (("keeper", keeper), ("hearer", hearer)):
            queues[name] = await channel.declare_queue(exclusive=True)
            for key in consumer.binding_keys:
                await queues[name].bind(exchange, key)

        # As the outbox relay publishes them: each with its published key; the last with the bare key, as an
        # event stored before its contract had topics.
        envelopes = [Parcel(grams=grams).to_envelope() for grams in (5000, 20, 7000, 30)]
        for envelope in envelopes:
            await bus.publish(envelope.published_key, envelope.model_dump_json().encode(), message_id=str(envelope.id))
        bare = Parcel(grams=40).to_envelope()
        await bus.publish(bare.routing_key, bare.model_dump_json().encode(), message_id=str(bare.id))

        assert await _received(queues["keeper"], 3) == [40, 5000, 7000]
        assert await _received(queues["hearer"], 5) == [20, 30, 40, 5000, 7000]
    finally:
        await bus.close()
        await connection.close()


def test_topics_for_an_event_without_a_handler_fail_at_start():
    class Other(Parcel):
        event_type: ClassVar[str] = "Other"

    with pytest.raises(TypeError, match="Other"):
        EventConsumer(None, [on_parcel], only_topics={Other: ("big",)})  # type: ignore[arg-type]
