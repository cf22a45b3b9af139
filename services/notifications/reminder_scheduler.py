"""The worker that sends reminders when due: it turns each due reminder into one delivery per channel.

Claiming uses FOR UPDATE SKIP LOCKED and the reminder is marked 'queued' in the same transaction as its
deliveries are written, so two replicas never queue one reminder twice (and the deliveries' unique
(event_id, channel, kind) would refuse it anyway). The dispatcher then sends them with its retries.
"Now" comes from an injected Clock, so tests move time without patching datetime.
"""

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Select, select, text

from services.notifications import reminder_window, service
from services.notifications.appointment_messages import AppointmentDetails, reminder
from services.notifications.clock import Clock
from services.notifications.models import reminders
from services.notifications.reminders import REMINDER
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


def claim_due(now: datetime, batch_size: int) -> Select[Any]:
    columns = reminders.c
    return (
        select(
            columns.id,
            columns.appointment_id,
            columns.account_id,
            columns.starts_at,
            columns.destinations,
            columns.details,
            columns.manage_token,
        )
        .where(columns.state == "pending", columns.due_at <= now)
        .order_by(columns.due_at)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )


MARK_QUEUED = text("UPDATE reminders SET state = 'queued', manage_token = NULL, settled_at = :now WHERE id = :id")
MARK_SKIPPED = text("UPDATE reminders SET state = 'skipped', manage_token = NULL, settled_at = :now WHERE id = :id")
POSTPONE = text("UPDATE reminders SET due_at = :due_at WHERE id = :id")


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
        now = self._clock.now()
        queued = 0
        async with self._unit_of_work() as uow:
            rows = (await uow.session.execute(claim_due(now, self._batch_size))).all()
            for row in rows:
                queued += await self._settle(uow, row, now)
            await uow.commit()
        if queued:
            self._on_queued()
        return len(rows)

    async def _settle(self, uow: UnitOfWork, row: Any, now: datetime) -> int:
        """Queues the reminder's deliveries, or postpones or skips it when `now` is no time to send:
        the window is checked again here because the scheduler may run late (a restart, an outage)."""
        details = AppointmentDetails.from_stored(row.appointment_id, row.starts_at, row.details)
        if row.starts_at <= now:
            return await self._skip(uow, row, now, "appointment_started")
        if not reminder_window.in_window(now, details.timezone):
            opening = reminder_window.next_opening(now, details.timezone)
            if opening >= row.starts_at:
                return await self._skip(uow, row, now, "no_window_left")
            await uow.session.execute(POSTPONE, {"id": row.id, "due_at": opening})
            log.info("reminder_postponed", reminder_id=str(row.id), due_at=opening.isoformat())
            return 0
        for channel, recipient in row.destinations.items():
            message = reminder(details, row.manage_token, self._portal_base_url, channel)
            await service.record_delivery(
                uow, row.id, REMINDER, channel, recipient, details.language, message, account_id=row.account_id
            )
        await uow.session.execute(MARK_QUEUED, {"id": row.id, "now": now})
        log.info("reminder_queued", reminder_id=str(row.id), channels=sorted(row.destinations))
        return 1

    async def _skip(self, uow: UnitOfWork, row: Any, now: datetime, reason: str) -> int:
        await uow.session.execute(MARK_SKIPPED, {"id": row.id, "now": now})
        log.info("reminder_skipped", reminder_id=str(row.id), reason=reason)
        return 0
