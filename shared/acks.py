"""Acknowledgements sent together: one basic.ack with `multiple` settles every delivery up to its tag.

Each basic.ack used to be a frame of its own: a write to the broker's socket here, a frame to parse and a
settlement for the quorum queue there. For a service that ignores most of what it hears (verification and the
bookings made without an account) the ack was the largest single cost of a message: 22% of the process's
samples while a surge drained. Acks decided within 10 ms of each other now leave as one frame.

`multiple` acknowledges every unacknowledged delivery of the channel up to the tag, so a frame may only cover
deliveries that are acked themselves. A delivery is "in hand" from the moment the consumer receives it (the
first, synchronous step of its task: the broker delivers in tag order and aio-pika starts the tasks in that
order, so every lower tag is in hand or settled by then) until it is settled. A frame covers the acked tags
below the lowest one still in hand; acks above it wait for it at most `HOLD_SECONDS`, then leave one by one,
so a slow or failing message (which pauses before its nack) never holds the others' prefetch slots.

Nacks and rejects leave at once, one by one, as before: a later `multiple` ack over their tag does not touch
them (they are no longer unacknowledged). What is acked is always committed first; an ack lost with its
connection only means a redelivery, which the inbox absorbs.
"""

import asyncio
import weakref
from dataclasses import dataclass, field

import structlog
from aio_pika.abc import AbstractIncomingMessage
from aiormq.abc import AbstractChannel

log = structlog.get_logger(__name__)

# Acks decided within this time leave together: messages arrive a few at a time even in a surge (a consumer
# that keeps up settles each as it comes), so a frame per turn of the event loop still covered only ~2 of them.
# Acking 10 ms later than possible costs nothing: the effect is committed, the prefetch window (32) is not filled.
GATHER_SECONDS = 0.01
HOLD_SECONDS = 0.05


@dataclass(eq=False)
class _ChannelAcks:
    channel: AbstractChannel
    in_hand: set[int] = field(default_factory=set)
    acked: list[int] = field(default_factory=list)
    flush_scheduled: bool = False
    hold: asyncio.TimerHandle | None = None


class AckBatcher:
    def __init__(self, gather_seconds: float = GATHER_SECONDS, hold_seconds: float = HOLD_SECONDS) -> None:
        self._gather_seconds = gather_seconds
        self._hold_seconds = hold_seconds
        # Per channel: a reconnection brings a new channel (and new tags); the old one's state goes with it.
        self._channels: weakref.WeakKeyDictionary[AbstractChannel, _ChannelAcks] = weakref.WeakKeyDictionary()
        self._sending: set[asyncio.Task[None]] = set()

    def received(self, message: AbstractIncomingMessage) -> None:
        """Call first thing, before any await, for every delivery of the channel."""
        self._state(message).in_hand.add(self._tag(message))

    def ack(self, message: AbstractIncomingMessage) -> None:
        """Settles the message as done: its ack leaves with the others decided within `gather_seconds`."""
        state = self._state(message)
        tag = self._tag(message)
        state.in_hand.discard(tag)
        state.acked.append(tag)
        if not state.flush_scheduled:
            state.flush_scheduled = True
            asyncio.get_running_loop().call_later(self._gather_seconds, self._flush, state)

    async def nack(self, message: AbstractIncomingMessage, requeue: bool) -> None:
        self._settled_otherwise(message)
        await message.nack(requeue=requeue)

    async def reject(self, message: AbstractIncomingMessage) -> None:
        self._settled_otherwise(message)
        await message.reject(requeue=False)

    def _settled_otherwise(self, message: AbstractIncomingMessage) -> None:
        state = self._state(message)
        state.in_hand.discard(self._tag(message))
        if state.acked and not state.flush_scheduled:
            # A lower tag leaving the hand may free acks that were waiting for it.
            state.flush_scheduled = True
            asyncio.get_running_loop().call_later(self._gather_seconds, self._flush, state)

    def _state(self, message: AbstractIncomingMessage) -> _ChannelAcks:
        channel = message.channel
        state = self._channels.get(channel)
        if state is None:
            state = self._channels[channel] = _ChannelAcks(channel)
        return state

    @staticmethod
    def _tag(message: AbstractIncomingMessage) -> int:
        tag = message.delivery_tag
        assert tag is not None  # a consumed message (not a basic.get nor no-ack) always has one
        return tag

    def _flush(self, state: _ChannelAcks) -> None:
        state.flush_scheduled = False
        floor = min(state.in_hand, default=None)
        covered = [tag for tag in state.acked if floor is None or tag < floor]
        if covered:
            self._send(state.channel, max(covered), multiple=True)
            state.acked = [tag for tag in state.acked if floor is not None and tag > floor]
        if not state.acked:
            if state.hold is not None:
                state.hold.cancel()
                state.hold = None
        elif state.hold is None:
            state.hold = asyncio.get_running_loop().call_later(self._hold_seconds, self._release, state)

    def _release(self, state: _ChannelAcks) -> None:
        """Acks held too long behind a delivery still in hand leave one by one."""
        state.hold = None
        waiting, state.acked = state.acked, []
        for tag in waiting:
            self._send(state.channel, tag, multiple=False)

    def _send(self, channel: AbstractChannel, tag: int, *, multiple: bool) -> None:
        task = asyncio.get_running_loop().create_task(self._ack(channel, tag, multiple))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    @staticmethod
    async def _ack(channel: AbstractChannel, tag: int, multiple: bool) -> None:
        try:
            await channel.basic_ack(tag, multiple=multiple)
        except Exception as exc:  # noqa: BLE001 - a closed channel: the broker redelivers, the inbox absorbs it
            log.warning("ack_not_sent", error=type(exc).__name__, delivery_tag=tag)

    async def drained(self) -> None:
        """Waits for the acks already decided to be written (graceful shutdown)."""
        for state in list(self._channels.values()):
            if state.hold is not None:
                state.hold.cancel()
                self._release(state)
            elif state.acked:
                self._flush(state)
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
