"""The unit of work: one transaction in which state changes and their events commit together."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import PoolProxiedConnection

from shared.db import pooled_driver_connection
from shared.logging import current_correlation_id
from shared.messages import Contract, EventEnvelope
from shared.outbox import insert_events, outbox_row


@dataclass(frozen=True)
class AutocommitConnection:
    """A pooled driver connection on which every statement commits on its own (see UnitOfWork.autocommit)."""

    pooled: PoolProxiedConnection
    _on_events_committed: Callable[[], None] | None

    def events_written(self) -> None:
        """After a statement that wrote outbox rows: the relay wakes, as after a unit's commit."""
        if self._on_events_committed is not None:
            self._on_events_committed()


class UnitOfWork:
    """Nothing is committed unless `commit()` is called; leaving the block without it rolls back.

    `on_events_committed` is called once a commit has put events in the outbox: the service wires it to its
    own relay's wake-up, so events leave at once without a database trigger notifying every insert.
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], on_events_committed: Callable[[], None] | None = None
    ) -> None:
        self._sessions = sessions
        self._on_events_committed = on_events_committed

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AutocommitConnection]:
        """Outside this unit's transaction: for the hot paths whose every statement is a transaction of its own
        (a booking states its invariant and writes its event in one statement; sign-in reserves a try). They
        save the BEGIN and COMMIT round trips and the session's machinery."""
        engine: AsyncEngine = self._sessions.kw["bind"]
        async with pooled_driver_connection(engine) as pooled:
            yield AutocommitConnection(pooled, self._on_events_committed)

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        # Stored form made at publish time: it carries the trace context current then (the handler's span,
        # when one consumer transaction applies several events).
        self._events: list[dict[str, Any]] = []
        self._after_commit: list[Callable[[], Awaitable[None] | None]] = []
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    def publish(self, event: Contract, causation_id: uuid.UUID | None = None) -> EventEnvelope:
        """Stage an event; it reaches the outbox in this transaction, at commit."""
        envelope = event.to_envelope(current_correlation_id(), causation_id)
        self._events.append(outbox_row(envelope))
        return envelope

    def after_commit(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        self._after_commit.append(callback)

    async def commit(self) -> None:
        await insert_events(self.session, self._events)
        await self.session.commit()
        if self._events and self._on_events_committed is not None:
            self._on_events_committed()
        self._events = []
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            result = callback()
            if result is not None:
                await result
