"""The worker that sends reminders when due: it turns each due reminder, with the other reminders of its day
going to the same address or number, into one delivery per destination (use_cases.queue_due_reminders is each
step), then wakes the dispatcher.
"Now" comes from an injected Clock, so tests move time without patching datetime.
"""

import asyncio
import contextlib
from collections.abc import Callable

import structlog

from services.notifications import use_cases
from services.notifications.clock import Clock
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


class ReminderScheduler:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        clock: Clock,
        portal_base_url: str,
        poll_seconds: float,
        batch_size: int,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._portal_base_url = portal_base_url
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._on_queued = on_queued
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Look now rather than at the next poll (tests call it after moving their clock)."""
        self._wakeup.set()

    async def run(self) -> None:
        while True:
            try:
                handled = await self.queue_due()
            except Exception as exc:  # noqa: BLE001 - e.g. database restart: pause, go on
                log.warning("reminder_scheduler_error", error=type(exc).__name__)
                handled = 0
            if handled < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._poll_seconds)
                self._wakeup.clear()

    async def queue_due(self) -> int:
        """Handles one batch of due reminders in one transaction; returns how many were claimed."""
        async with self._unit_of_work() as uow:
            handled = await use_cases.queue_due_reminders(
                uow, self._clock.now(), self._batch_size, self._portal_base_url
            )
        if handled.queued:
            self._on_queued()
        return handled.claimed
