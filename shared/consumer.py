"""Turns bus messages into handler calls: inbox dedup, one transaction, ack only after commit."""

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.inbox import record_once
from shared.logging import bind_correlation_id
from shared.messages import Contract, EventEnvelope
from shared.metrics import EVENTS_CONSUMED, EVENTS_FAILED
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

Handler = Callable[[UnitOfWork, Contract, EventEnvelope], Awaitable[None]]


class EventConsumer:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        handlers: dict[type[Contract], Handler],
        on_events_committed: Callable[[], None] | None = None,
    ):
        self._sessions = sessions
        self._on_events_committed = on_events_committed
        self._handlers = {contract.routing_key(): (contract, handler) for contract, handler in handlers.items()}
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def routing_keys(self) -> list[str]:
        return list(self._handlers)

    async def drained(self) -> None:
        """Returns once no message is being handled (graceful shutdown, after the bus stopped consuming)."""
        await self._idle.wait()

    async def __call__(self, message: AbstractIncomingMessage) -> None:
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
            contract, handler = self._handlers[envelope.routing_key]
            event = contract.model_validate(envelope.payload)
        except (ValidationError, KeyError) as exc:
            # Can never succeed: straight to the dead-letter queue instead of looping.
            log.error("event_rejected", routing_key=message.routing_key, error=type(exc).__name__)
            EVENTS_FAILED.labels(message.routing_key or "", "rejected").inc()
            await message.reject(requeue=False)
            return
        bind_correlation_id(envelope.correlation_id)
        try:
            async with UnitOfWork(self._sessions, self._on_events_committed) as uow:
                if await record_once(uow.session, envelope):
                    await handler(uow, event, envelope)
                    await uow.commit()
                    log.info("event_applied", event_type=envelope.type, event_id=str(envelope.id))
                    EVENTS_CONSUMED.labels(envelope.routing_key, "applied").inc()
                else:
                    log.info("event_duplicate_ignored", event_type=envelope.type, event_id=str(envelope.id))
                    EVENTS_CONSUMED.labels(envelope.routing_key, "duplicate").inc()
        except Exception:
            attempts = int((message.headers or {}).get("x-delivery-count", 0) or 0)
            log.exception("event_failed", event_type=envelope.type, event_id=str(envelope.id), attempts=attempts)
            EVENTS_FAILED.labels(envelope.routing_key, "handler").inc()
            # A short, growing pause keeps a failing message from spinning while still reaching
            # the delivery limit (then the DLQ) in bounded time.
            await asyncio.sleep(min(0.1 * 2**attempts, 2.0))
            await message.nack(requeue=True)
            return
        await message.ack()
