"""Use cases of the notifications service: record what to send, deliver it with retries, send
secrets inline without keeping them, and erase a person from the delivery log."""

import asyncio
import collections
import contextlib
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert

from services.notifications.channels import Channels
from services.notifications.models import deliveries
from services.notifications.rendering import RenderedMessage
from shared.db import transaction_driver_connection
from shared.ids import new_id
from shared.messages import EventEnvelope
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

# What the log keeps instead of an erased address, or of a body that must not be stored.
ERASED = "[erased]"
CODE_WITHHELD = "[code withheld]"


RECORD_DELIVERY = """
INSERT INTO deliveries (id, event_id, kind, channel, recipient, account_id, language, subject, body, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT ON CONSTRAINT deliveries_once_per_event DO NOTHING
"""
# A message past its destination's limit (destination_limits): in the log so that it counts and shows, never
# sent, and without its body, which may hold a manage link.
SUPPRESSED = "suppressed"


async def record_delivery(
    uow: UnitOfWork,
    event_id: uuid.UUID,
    kind: str,
    channel: str,
    recipient: str,
    language: str,
    message: RenderedMessage,
    account_id: uuid.UUID | None = None,
    suppressed: bool = False,
) -> None:
    """Queue one message in the delivery log, in the caller's transaction (at most once per event, kind
    and channel), or record it as suppressed. `event_id` is the event's, or the reminder's for reminders."""
    # On the driver: one of the statements every booking pays for (see transaction_driver_connection).
    driver = await transaction_driver_connection(uow.session)
    await driver.execute(
        RECORD_DELIVERY,
        new_id(),
        event_id,
        kind,
        channel,
        recipient,
        account_id,
        language,
        message.subject,
        "" if suppressed else message.body,
        SUPPRESSED if suppressed else "pending",
    )
    if suppressed:
        log.warning("delivery_suppressed", kind=kind, channel=channel)


async def send_inline(
    uow: UnitOfWork,
    channels: Channels,
    envelope: EventEnvelope,
    kind: str,
    channel: str,
    recipient: str,
    language: str,
    message: RenderedMessage,
    *,
    logged_recipient: str,
    logged_body: str,
    account_id: uuid.UUID | None = None,
) -> None:
    """Sends now, from the consumer, and logs the delivery as sent with what may be kept.

    For messages whose content (a code) or recipient (an erased person) must never be stored.
    A failed send raises: the consumer's transaction rolls back and the broker redelivers. The
    delivery id is derived from the event, so a resend after a crash between the provider's
    acceptance and our commit carries the same Message-ID / client_reference.
    """
    delivery_id = uuid.uuid5(envelope.id, f"{channel}:{kind}")
    provider_id = await channels.send(channel, str(delivery_id), recipient, message.subject, message.body, language)
    await uow.session.execute(
        insert(deliveries)
        .values(
            id=delivery_id,
            event_id=envelope.id,
            kind=kind,
            channel=channel,
            recipient=logged_recipient,
            account_id=account_id,
            language=language,
            subject=message.subject,
            body=logged_body,
            status="sent",
            attempts=1,
            sent_at=func.now(),
            provider_message_id=provider_id,
        )
        .on_conflict_do_nothing(constraint="deliveries_once_per_event")
    )
    log.info("delivery_sent_inline", delivery_id=str(delivery_id), kind=kind, channel=channel)


# Matches rows tied to the account, addressed to one of the contacts, or mentioning one in any text
# column (e.g. an SMTP error quoting the address). Pending ones are cancelled: nothing more goes out.
ERASE_PERSON = text(f"""
UPDATE deliveries SET recipient = '{ERASED}', account_id = NULL, body = '', last_error = NULL,
  status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END
WHERE account_id = :account_id
   OR lower(recipient) = ANY(:contacts)
   OR EXISTS (SELECT 1 FROM unnest(CAST(:contacts AS text[])) AS contact
              WHERE strpos(lower(subject || ' ' || body || ' ' || coalesce(last_error, '')), contact) > 0)
""")


async def erase_person(uow: UnitOfWork, account_id: uuid.UUID, contacts: list[str]) -> int:
    """Removes the person's addresses and message contents from the delivery log; returns the rows touched.

    Rows are anonymised rather than deleted so volumes per kind and channel stay countable. No keyed
    hash is kept: a hash would still let us tell whether a given address ever got a message.
    """
    lowered = sorted({contact.strip().lower() for contact in contacts if contact and contact.strip()})
    result = await uow.session.execute(ERASE_PERSON, {"account_id": account_id, "contacts": lowered})
    return result.rowcount


CLAIM_DUE = """
SELECT id, channel, recipient, subject, body, language, attempts FROM deliveries
WHERE status = 'pending' AND next_attempt_at <= now()
ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
"""
# The body is blanked with the sent mark: it can hold a cancel token, and is no longer needed.
MARK_SENT = """
UPDATE deliveries SET status = 'sent', sent_at = now(), attempts = attempts + 1, body = '', last_error = NULL,
  provider_message_id = sent.provider_id
FROM unnest($1::uuid[], $2::text[]) AS sent (id, provider_id)
WHERE deliveries.id = sent.id
"""
MARK_RETRY = """
UPDATE deliveries SET attempts = attempts + 1, last_error = failed.error,
  status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'pending' END,
  next_attempt_at = now() + make_interval(secs => least(300, 2 * power(2, attempts)))
FROM unnest($1::uuid[], $2::text[]) AS failed (id, error)
WHERE deliveries.id = failed.id
"""


class WorkerBell:
    """Wakes one idle worker per ring. With an event every worker woke for each queued delivery and all
    but one claimed nothing: 1,433 empty claims (a transaction each) for 503 batches sent in a 20 s
    booking surge, with four workers."""

    def __init__(self) -> None:
        self._idle: collections.deque[asyncio.Future[None]] = collections.deque()
        self._missed = False

    def ring(self) -> None:
        while self._idle:
            waiter = self._idle.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        # No worker waiting: they are all sending, and each claims again when its batch is done. Kept
        # for the one that just found nothing and is on its way to wait.
        self._missed = True

    def ring_all(self) -> None:
        while self._idle:
            self.ring()
        self._missed = True

    async def wait(self, at_most: float) -> None:
        """Until rung, or `at_most` seconds (a poll, for deliveries due later or queued by another replica)."""
        if self._missed:
            self._missed = False
            return
        waiter = asyncio.get_running_loop().create_future()
        self._idle.append(waiter)
        try:
            await asyncio.wait_for(waiter, at_most)
        except TimeoutError:
            pass
        finally:
            with contextlib.suppress(ValueError):
                self._idle.remove(waiter)


class DeliveryDispatcher:
    """Sends due deliveries. The row stays locked (FOR UPDATE SKIP LOCKED) while it is being sent,
    so two replicas never send the same row at once, and a crash mid-send leaves it pending."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        channels: Callable[[], Channels],
        concurrency: int,
        max_attempts: int,
        batch: int = 8,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._channels = channels
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._batch = batch
        self._bell = WorkerBell()
        self._stopping = False

    def wake(self) -> None:
        self._bell.ring()

    def stop(self) -> None:
        """Graceful shutdown: each worker finishes the send in hand (cancelling it mid-SMTP could
        make the next replica send it again) and returns."""
        self._stopping = True
        self._bell.ring_all()

    async def run(self) -> None:
        await asyncio.gather(*(self._worker() for _ in range(self._concurrency)))

    async def _worker(self) -> None:
        # Each worker owns its channels (its SMTP connection, its HTTP session).
        channels = self._channels()
        try:
            while not self._stopping:
                try:
                    sent_one = await self.send_next(channels)
                except Exception as exc:  # noqa: BLE001 - e.g. database restart: pause, go on
                    log.warning("dispatcher_error", error=type(exc).__name__)
                    sent_one = False
                if not sent_one and not self._stopping:
                    await self._bell.wait(1.0)
        finally:
            await channels.close()

    async def send_next(self, channels: Channels) -> bool:
        """Sends the next due deliveries (up to the batch), whatever their channel; True when any was handled.

        Claiming is the costly step of a busy queue table: each sent row leaves a dead entry that the
        ordered, SKIP LOCKED scan walks over until a vacuum. A batch pays that walk once for several sends.

        The outcome of each send (sent with the provider's id, or failed with the error for a retry) is
        written for the whole batch in one statement per outcome, then committed: between a provider's
        acceptance and our record of it come only the remaining sends of the batch, those statements and
        the COMMIT. A crash inside that window can repeat those messages; each carries the same Message-ID
        (email) or client_reference (SMS), derived from the delivery id. On shutdown the worker finishes
        the send in hand and commits; the rows it did not reach go back to the queue.
        """
        async with self._unit_of_work() as uow:
            # On the driver, with prepared statements: SQLAlchemy's per-statement machinery cost more CPU
            # than the send itself. The rows stay locked by this transaction, which the unit of work ends.
            driver = await transaction_driver_connection(uow.session)
            rows = await driver.fetch(CLAIM_DUE, self._batch)
            if not rows:
                return False
            sent: tuple[list[uuid.UUID], list[str]] = ([], [])
            failed: tuple[list[uuid.UUID], list[str]] = ([], [])
            for row in rows:
                if self._stopping:
                    break
                await self._send_one(channels, row, sent, failed)
            if sent[0]:
                await driver.execute(MARK_SENT, *sent)
            if failed[0]:
                await driver.execute(MARK_RETRY, *failed, self._max_attempts)
            await uow.commit()
            return True

    async def _send_one(
        self,
        channels: Channels,
        row: Any,
        sent: tuple[list[uuid.UUID], list[str]],
        failed: tuple[list[uuid.UUID], list[str]],
    ) -> None:
        try:
            provider_id = await channels.send(
                row["channel"], str(row["id"]), row["recipient"], row["subject"], row["body"], row["language"]
            )
        except Exception as exc:  # noqa: BLE001 - any provider failure is retried with backoff
            log.warning(
                "delivery_failed", delivery_id=str(row["id"]), attempt=row["attempts"] + 1, error=type(exc).__name__
            )
            failed[0].append(row["id"])
            failed[1].append(f"{type(exc).__name__}: {exc}"[:500])
        else:
            sent[0].append(row["id"])
            sent[1].append(provider_id)
        log.info("delivery_handled", delivery_id=str(row["id"]), channel=row["channel"])
