"""The unit of work: one transaction in which state changes and their events commit together."""

import uuid
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.logging import current_correlation_id
from shared.messages import Contract, EventEnvelope
from shared.outbox import insert_events


class UnitOfWork:
    """Nothing is committed unless `commit()` is called; leaving the block without it rolls back."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @property
    def engine(self) -> AsyncEngine:
        """For single statements that are a transaction on their own (shared.db.pooled_driver_connection)."""
        return self._sessions.kw["bind"]

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._events: list[EventEnvelope] = []
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
        self._events.append(envelope)
        return envelope

    def after_commit(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        self._after_commit.append(callback)

    async def commit(self) -> None:
        await insert_events(self.session, self._events)
        await self.session.commit()
        self._events = []
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            result = callback()
            if result is not None:
                await result
