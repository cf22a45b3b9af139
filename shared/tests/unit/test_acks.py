"""shared.acks's choice of frames, on a recording channel: which tags one `multiple` ack may cover."""

import asyncio
from dataclasses import dataclass, field

from shared.acks import AckBatcher


@dataclass(eq=False)
class RecordingChannel:
    frames: list[tuple[int, bool]] = field(default_factory=list)

    async def basic_ack(self, delivery_tag: int, multiple: bool = False) -> None:
        self.frames.append((delivery_tag, multiple))


@dataclass(eq=False)
class Delivery:
    channel: RecordingChannel
    delivery_tag: int
    settled: list[str] = field(default_factory=list)

    async def nack(self, requeue: bool) -> None:
        self.settled.append("nack")

    async def reject(self, requeue: bool) -> None:
        self.settled.append("reject")


async def _turn() -> None:
    """Past the batcher's gathering time."""
    await asyncio.sleep(0.03)


async def test_acks_decided_together_leave_as_one_multiple_frame() -> None:
    channel, acks = RecordingChannel(), AckBatcher()
    deliveries = [Delivery(channel, tag) for tag in range(1, 17)]
    for delivery in deliveries:
        acks.received(delivery)  # type: ignore[arg-type]
    for delivery in deliveries:
        acks.ack(delivery)  # type: ignore[arg-type]
    await _turn()
    assert channel.frames == [(16, True)]


async def test_a_frame_never_covers_a_delivery_still_in_hand() -> None:
    channel, acks = RecordingChannel(), AckBatcher(hold_seconds=10)
    deliveries = [Delivery(channel, tag) for tag in range(1, 7)]
    for delivery in deliveries:
        acks.received(delivery)  # type: ignore[arg-type]
    for delivery in (deliveries[0], deliveries[1], deliveries[4], deliveries[5]):
        acks.ack(delivery)  # type: ignore[arg-type]
    await _turn()
    assert channel.frames == [(2, True)]  # 3 and 4 are in hand: 5 and 6 wait
    acks.ack(deliveries[2])  # type: ignore[arg-type]
    await acks.nack(deliveries[3], requeue=True)  # type: ignore[arg-type]
    await _turn()
    assert deliveries[3].settled == ["nack"]
    assert channel.frames == [(2, True), (6, True)]  # 4 was nacked first: a multiple ack no longer touches it


async def test_acks_held_behind_a_slow_delivery_leave_one_by_one_after_the_hold() -> None:
    channel, acks = RecordingChannel(), AckBatcher(hold_seconds=0.1)
    slow, done_1, done_2 = (Delivery(channel, tag) for tag in (1, 2, 3))
    for delivery in (slow, done_1, done_2):
        acks.received(delivery)  # type: ignore[arg-type]
    acks.ack(done_1)  # type: ignore[arg-type]
    acks.ack(done_2)  # type: ignore[arg-type]
    await _turn()
    assert channel.frames == []
    await asyncio.sleep(0.15)
    assert channel.frames == [(2, False), (3, False)]
    acks.ack(slow)  # type: ignore[arg-type]
    await _turn()
    assert channel.frames[-1] == (1, True)


async def test_each_channel_has_its_own_tags() -> None:
    first, second, acks = RecordingChannel(), RecordingChannel(), AckBatcher()
    a, b = Delivery(first, 1), Delivery(second, 1)
    acks.received(a)  # type: ignore[arg-type]
    acks.received(b)  # type: ignore[arg-type]
    acks.ack(b)  # type: ignore[arg-type]
    await _turn()
    assert (first.frames, second.frames) == ([], [(1, True)])
    acks.ack(a)  # type: ignore[arg-type]
    await acks.drained()
    assert first.frames == [(1, True)]
