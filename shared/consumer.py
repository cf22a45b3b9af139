"""Turns bus messages into handler calls: inbox dedup, one transaction, ack only after commit.

Messages that arrive while a transaction is running are applied together in the next one (up to
`max_batch`): one BEGIN, one inbox statement and one COMMIT for the lot instead of one each. In a booking
surge that was most of the notifications consumer's cost per event. At a trickle nothing waits: a
message finds a runner free and is applied on its own at once. When a batch fails, each of its events is
applied again on its own, so one failing event is retried (and dead-lettered) alone and never holds the
others back.

A handler is a plain function named for its event, `async def on_appointment_booked(uow, event:
AppointmentBooked)`, with `envelope: EventEnvelope` as a third parameter when it needs the event's id or time.
The consumer reads which event it handles from the `event` annotation: there is no map to keep by hand.

A handler may instead take a run of its events: `async def on_appointment_booked(uow, events:
list[AppointmentBooked], envelopes: list[EventEnvelope])`. It is called once for each run of consecutive events
of its kind in a batch (other events keep their place before and after it), so it can write them in one round
trip to the database; alone, an event is a run of one. It runs in the context of the run's first message.
"""

import asyncio
import contextvars
import inspect
import typing
from collections import deque
from collections.abc import Callable, Collection, Coroutine, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.acks import AckBatcher
from shared.inbox import record_each_once
from shared.logging import bind_correlation_id
from shared.messages import Contract, EventEnvelope
from shared.metrics import EVENTS_CONSUMED, EVENTS_FAILED
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

# What a service writes: (uow, event: SomeContract) or (uow, event: SomeContract, envelope: EventEnvelope).
EventHandler = Callable[..., Coroutine[Any, Any, None]]
# How the consumer calls every handler: a run of events of one kind (for a per-event handler, a run of one).
Handler = Callable[[UnitOfWork, list[Contract], list[EventEnvelope]], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Route:
    contract: type[Contract]
    handler: Handler
    # Takes runs of events (`events: list[...]`): consecutive events of its kind in a batch go in one call.
    takes_runs: bool


def handled_event(handler: EventHandler) -> tuple[type[Contract], bool]:
    """The event a handler takes, from its `event` (or `events: list[...]`) parameter's annotation, and
    whether it takes runs of them."""
    hints = typing.get_type_hints(handler)
    event_type, takes_runs = hints.get("event"), False
    if event_type is None and typing.get_origin(hints.get("events")) is list:
        (event_type,), takes_runs = typing.get_args(hints["events"]), True
    if not (isinstance(event_type, type) and issubclass(event_type, Contract)):
        raise TypeError(
            f"{handler!r}: annotate its `event` parameter with the event contract it handles "
            "(or `events` with a list of it)"
        )
    return event_type, takes_runs


def _called_with_runs(handler: EventHandler, takes_runs: bool) -> Handler:
    with_envelopes = {"envelope", "envelopes"} & set(inspect.signature(handler).parameters)
    if takes_runs:
        if with_envelopes:
            return handler

        async def runs_without_envelopes(
            uow: UnitOfWork, events: list[Contract], envelopes: list[EventEnvelope]
        ) -> None:
            await handler(uow, events)

        return runs_without_envelopes

    async def one_event(uow: UnitOfWork, events: list[Contract], envelopes: list[EventEnvelope]) -> None:
        (event,), (envelope,) = events, envelopes
        await (handler(uow, event, envelope) if with_envelopes else handler(uow, event))

    return one_event


def route_handlers(handlers: Iterable[EventHandler]) -> dict[str, Route]:
    """routing key -> its route; one handler per event, or registration fails at start."""
    routes: dict[str, Route] = {}
    for handler in handlers:
        contract, takes_runs = handled_event(handler)
        if contract.routing_key() in routes:
            raise TypeError(f"two handlers for {contract.__name__}")
        routes[contract.routing_key()] = Route(contract, _called_with_runs(handler, takes_runs), takes_runs)
    return routes


def _off_topic(
    only_topics: Mapping[type[Contract], Collection[str]],
) -> dict[type[Contract], Callable[[Contract], bool]]:
    """Per contract, whether an event is of a topic its queue was not bound to."""

    def outside(topics: Collection[str]) -> Callable[[Contract], bool]:
        chosen = frozenset(topics)
        return lambda event: event.routing_topic() not in chosen

    return {contract: outside(topics) for contract, topics in only_topics.items()}


def _deliveries_before(message: AbstractIncomingMessage) -> int:
    """How many times the broker delivered this message before (quorum queues count them)."""
    count = (message.headers or {}).get("x-delivery-count")
    # RabbitMQ sends it as an integer; absent (a classic queue, a first delivery) means none before.
    return int(count) if isinstance(count, int) else 0


@dataclass(slots=True, eq=False)
class _Delivery:
    message: AbstractIncomingMessage
    envelope: EventEnvelope
    event: Contract
    route: Route
    # The message's own context (its correlation id, its CONSUMER span): its handler runs in it, whichever
    # task runs the batch, so what the handler logs and publishes belongs to that message.
    context: contextvars.Context
    applied: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def _runs(deliveries: list[_Delivery]) -> Iterator[list[_Delivery]]:
    """The deliveries in order, consecutive ones of a run-taking handler together, every other one alone."""
    run: list[_Delivery] = []
    for delivery in deliveries:
        if run and not (delivery.route.takes_runs and delivery.route is run[0].route):
            yield run
            run = []
        run.append(delivery)
        if not delivery.route.takes_runs:
            yield run
            run = []
    if run:
        yield run


class EventConsumer:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        handlers: Iterable[EventHandler],
        on_events_committed: Callable[[], None] | None = None,
        *,
        alone: Collection[type[Contract]] = (),
        ignore_when: Mapping[type[Contract], Callable[[Contract], bool]] | None = None,
        only_topics: Mapping[type[Contract], Collection[str]] | None = None,
        max_batch: int = 16,
        runners: int = 2,
    ):
        """`alone`: events whose handler has an effect outside the database (a message sent inline). Each
        gets a transaction of its own, so no other event's failure makes it run, and send, twice.

        `ignore_when`: per event, what makes one of no concern to this service (its handler would do
        nothing). Such an event is acked at once, with no transaction: without an effect there is nothing
        to apply twice, so nothing to record in the inbox either (a service that hears every booking for
        the few it keeps would otherwise write an inbox row per booking).

        `only_topics`: per event with topics (Contract.routing_topics), the ones this service binds its queue to; the
        broker leaves the others out. One of another topic can still arrive, published with the bare key by an
        older producer: it is ignored as `ignore_when` would."""
        self._sessions = sessions
        self._on_events_committed = on_events_committed
        self._routes = route_handlers(handlers)
        self._alone = {contract.routing_key() for contract in alone}
        only_topics = only_topics or {}
        if unhandled := [contract.__name__ for contract in only_topics if contract.routing_key() not in self._routes]:
            raise TypeError(f"topics chosen for events without a handler: {unhandled}")
        self._ignore_when = {
            contract.routing_key(): test
            for contract, test in {**_off_topic(only_topics), **(ignore_when or {})}.items()
        }
        self._binding_keys = [
            key
            for route in self._routes.values()
            for key in route.contract.binding_keys(only_topics.get(route.contract))
        ]
        self._max_batch = max_batch
        self._runners = runners
        self._waiting: deque[_Delivery] = deque()
        self._runners_busy = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._acks = AckBatcher()

    @property
    def binding_keys(self) -> list[str]:
        """What this consumer's queue is bound to (Contract.binding_keys)."""
        return self._binding_keys

    async def drained(self) -> None:
        """Returns once no message is being handled and their acks are written (graceful shutdown, after the
        bus stopped consuming)."""
        await self._idle.wait()
        await self._acks.drained()

    def abandon(self) -> None:
        """Shutdown past its grace period: stops applying. What was not committed is redelivered."""
        while self._waiting:
            self._waiting.popleft().applied.cancel()
        for runner in self._tasks:
            runner.cancel()

    async def __call__(self, message: AbstractIncomingMessage) -> None:
        self._acks.received(message)  # before any await: see shared.acks
        self._in_flight += 1
        self._idle.clear()
        try:
            await self._handle(message)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = EventEnvelope.model_validate_json(message.body)
            route = self._routes[envelope.routing_key]
            event = route.contract.model_validate(envelope.payload)
        except (ValidationError, KeyError) as exc:
            # Can never succeed: straight to the dead-letter queue instead of looping.
            log.error("event_rejected", routing_key=message.routing_key, error=type(exc).__name__)
            EVENTS_FAILED.labels(message.routing_key or "", "rejected").inc()
            await self._acks.reject(message)
            return
        ignored = self._ignore_when.get(envelope.routing_key)
        if ignored is not None and ignored(event):
            EVENTS_CONSUMED.labels(envelope.routing_key, "ignored").inc()
            self._acks.ack(message)
            return
        bind_correlation_id(envelope.correlation_id)
        delivery = _Delivery(message, envelope, event, route, contextvars.copy_context())
        if envelope.routing_key in self._alone:
            await self._apply_alone(delivery)
        else:
            self._waiting.append(delivery)
            if self._runners_busy < self._runners:
                # Counted here and uncounted by the runner as it returns, with no await between its last
                # look at the queue and that: a message queued meanwhile always finds a runner.
                self._runners_busy += 1
                runner = asyncio.create_task(self._run_batches())
                self._tasks.add(runner)
                runner.add_done_callback(self._tasks.discard)
        if await delivery.applied:
            self._acks.ack(message)
            return
        # A short, growing pause keeps a failing message from spinning while still reaching the delivery
        # limit (then the DLQ) in bounded time.
        await asyncio.sleep(min(0.1 * 2 ** _deliveries_before(message), 2.0))
        await self._acks.nack(message, requeue=True)

    async def _run_batches(self) -> None:
        try:
            while self._waiting:
                batch = [self._waiting.popleft() for _ in range(min(len(self._waiting), self._max_batch))]
                try:
                    if len(batch) == 1 or not await self._apply(batch):
                        for delivery in batch:
                            await self._apply_alone(delivery)
                finally:
                    for delivery in batch:
                        if not delivery.applied.done():  # cancelled mid-batch: the broker redelivers it
                            delivery.applied.cancel()
        finally:
            self._runners_busy -= 1

    async def _apply_alone(self, delivery: _Delivery) -> None:
        if not await self._apply([delivery]) and not delivery.applied.done():
            delivery.applied.set_result(False)

    async def _apply(self, batch: list[_Delivery]) -> bool:
        """Applies the batch in one transaction and settles each delivery; False (nothing settled, all
        rolled back) when a handler or the database failed. Only a lone event's failure is logged and
        counted: a failed batch is applied again event by event, and the failing one shows then."""
        try:
            async with UnitOfWork(self._sessions, self._on_events_committed) as uow:
                first_seen = await record_each_once(uow.session, [delivery.envelope for delivery in batch])
                applied = []
                for delivery in batch:
                    if delivery.envelope.id in first_seen:
                        first_seen.discard(delivery.envelope.id)  # the same event twice in one batch
                        applied.append(delivery)
                for run in _runs(applied):
                    first = run[0]
                    handling = first.route.handler(
                        uow, [delivery.event for delivery in run], [delivery.envelope for delivery in run]
                    )
                    await asyncio.create_task(handling, context=first.context)
                await uow.commit()
        except Exception:  # noqa: BLE001 - any failure: rolled back, then retried (alone) or redelivered
            if len(batch) == 1:
                delivery = batch[0]
                delivery.context.run(
                    log.exception,
                    "event_failed",
                    event_type=delivery.envelope.type,
                    event_id=str(delivery.envelope.id),
                    attempts=_deliveries_before(delivery.message),
                )
                EVENTS_FAILED.labels(delivery.envelope.routing_key, "handler").inc()
            return False
        for delivery in batch:
            outcome = "applied" if delivery in applied else "duplicate"
            event_name = "event_applied" if outcome == "applied" else "event_duplicate_ignored"
            delivery.context.run(
                log.info, event_name, event_type=delivery.envelope.type, event_id=str(delivery.envelope.id)
            )
            EVENTS_CONSUMED.labels(delivery.envelope.routing_key, outcome).inc()
            if not delivery.applied.done():  # else its caller was cancelled: redelivered, then a duplicate
                delivery.applied.set_result(True)
        return True
