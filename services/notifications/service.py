"""Use cases of the notifications service: record what to send, then deliver it with retries."""

import asyncio
import contextlib
import uuid
from collections.abc import Callable

import structlog
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from services.notifications.email_channel import EmailChannel
from services.notifications.models import deliveries
from services.notifications.rendering import RenderedMessage
from shared.messages import EventEnvelope
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

EMAIL = "email"


async def record_delivery(
    uow: UnitOfWork,
    envelope: EventEnvelope,
    kind: str,
    channel: str,
    recipient: str,
    language: str,
    message: RenderedMessage,
) -> None:
    """Queue one message in the delivery log, in the consumer's transaction (at most once per event)."""
    await uow.session.execute(
        insert(deliveries)
        .values(
            id=uuid.uuid4(),
            event_id=envelope.id,
            kind=kind,
            channel=channel,
            recipient=recipient,
            language=language,
            subject=message.subject,
            body=message.body,
        )
        .on_conflict_do_nothing(constraint="deliveries_once_per_event")
    )


CLAIM_DUE = text("""
SELECT id, channel, recipient, subject, body, attempts FROM deliveries
WHERE status = 'pending' AND next_attempt_at <= now()
ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED
""")
MARK_SENT = text("""
UPDATE deliveries SET status = 'sent', sent_at = now(), attempts = attempts + 1, provider_message_id = :provider_id,
  last_error = NULL WHERE id = :id
""")
MARK_RETRY = text("""
UPDATE deliveries SET attempts = attempts + 1, last_error = :error,
  status = CASE WHEN attempts + 1 >= :max_attempts THEN 'failed' ELSE 'pending' END,
  next_attempt_at = now() + make_interval(secs => least(300, 2 * power(2, attempts)))
WHERE id = :id
""")


class DeliveryDispatcher:
    """Sends due deliveries. The row stays locked (FOR UPDATE SKIP LOCKED) while it is being sent,
    so two replicas never send the same row at once, and a crash mid-send leaves it pending."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        email: Callable[[], EmailChannel],
        concurrency: int,
        max_attempts: int,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._email = email
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        await asyncio.gather(*(self._worker() for _ in range(self._concurrency)))

    async def _worker(self) -> None:
        channel = self._email()
        try:
            while True:
                try:
                    sent_one = await self.send_next(channel)
                except Exception as exc:  # noqa: BLE001 - e.g. database restart: pause, go on
                    log.warning("dispatcher_error", error=type(exc).__name__)
                    sent_one = False
                if not sent_one:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), 1.0)
                    self._wakeup.clear()
        finally:
            await channel.close()

    async def send_next(self, channel: EmailChannel) -> bool:
        """Sends the next due delivery, if any; True when one was handled.

        The row is marked sent inside the open transaction *before* the SMTP exchange, so the
        only step between the provider's acceptance and our record of it is the COMMIT itself.
        A crash inside that window can repeat a message; it carries the same Message-ID.
        """
        async with self._unit_of_work() as uow:
            row = (await uow.session.execute(CLAIM_DUE)).first()
            if row is None:
                return False
            # A savepoint, so a failed send undoes only the "sent" mark and keeps the row lock.
            attempt = await uow.session.begin_nested()
            await uow.session.execute(MARK_SENT, {"id": row.id, "provider_id": channel.message_id(str(row.id))})
            try:
                await channel.send(str(row.id), row.recipient, row.subject, row.body)
            except Exception as exc:  # noqa: BLE001 - any provider failure is retried with backoff
                await attempt.rollback()
                log.warning(
                    "delivery_failed", delivery_id=str(row.id), attempt=row.attempts + 1, error=type(exc).__name__
                )
                error = f"{type(exc).__name__}: {exc}"[:500]
                await uow.session.execute(
                    MARK_RETRY, {"id": row.id, "error": error, "max_attempts": self._max_attempts}
                )
            else:
                await attempt.commit()
            await uow.commit()
            log.info("delivery_handled", delivery_id=str(row.id), channel=row.channel)
            return True
