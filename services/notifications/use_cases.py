"""What the notifications service does, on a unit of work: record what to send (or suppress it past its
destination's limit), send secrets inline without keeping them, record a booking, follow an appointment's
changes and plan its reminders, erase a person from the delivery log, and the workers' steps: send the due
deliveries with retries, turn the due reminders into deliveries."""

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import structlog

from services.notifications import queries
from services.notifications.appointment_messages import booking_confirmation, day_reminder
from services.notifications.channels import Channels
from services.notifications.queries import DueDelivery, DueReminder
from services.notifications.rules import (
    EMAIL,
    REMINDER,
    SMS,
    SUPPRESSED,
    AppointmentDetails,
    DestinationLimit,
    Postpone,
    RenderedMessage,
    Skip,
    by_destination,
    contacts_to_match,
    destination_key,
    destinations,
    inline_delivery_id,
    plan,
    reminder_fate,
    reminder_group_id,
)
from shared.contracts.appointments import AppointmentBooked
from shared.contracts.appointments import Channel as AppointmentChannel
from shared.messages import EventEnvelope
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


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
    await queries.insert_delivery(
        uow,
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
    event_id: uuid.UUID,
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
    delivery_id = inline_delivery_id(event_id, channel, kind)
    provider_id = await channels.send(channel, str(delivery_id), recipient, message.subject, message.body, language)
    await queries.insert_sent_delivery(
        uow,
        delivery_id,
        event_id,
        kind,
        channel,
        logged_recipient,
        account_id,
        language,
        message.subject,
        logged_body,
        provider_id,
    )
    log.info("delivery_sent_inline", delivery_id=str(delivery_id), kind=kind, channel=channel)


async def send_once_inline(
    uow: UnitOfWork,
    channels: Channels,
    cause_id: uuid.UUID,
    kind: str,
    channel: str,
    recipient: str,
    language: str,
    message: RenderedMessage,
    *,
    logged_body: str,
    account_id: uuid.UUID | None = None,
) -> bool:
    """send_inline, unless the log already has this message for `cause_id` (a cause announced twice, in two
    events: the inbox stops a redelivered event, not a second one). False when it was already sent."""
    if await queries.delivery_recorded(uow, cause_id, channel, kind):
        return False
    await send_inline(
        uow,
        channels,
        cause_id,
        kind,
        channel,
        recipient,
        language,
        message,
        logged_recipient=recipient,
        logged_body=logged_body,
        account_id=account_id,
    )
    return True


async def limit_reached(uow: UnitOfWork, limit: DestinationLimit, recipient: str) -> bool:
    """Whether `recipient` already had `limit`'s messages: the caller then records its message as suppressed
    (record_delivery), in this transaction, which holds the destination's lock until it ends."""
    counted = await queries.sent_to_destination(uow, recipient, limit.kinds)
    return limit.reached(counted.last_hour, counted.last_day)


async def queue_notices(
    uow: UnitOfWork,
    event_id: uuid.UUID,
    kind: str,
    to: Mapping[AppointmentChannel, str],
    language: str,
    message_for: Callable[[AppointmentChannel], RenderedMessage],
    account_id: uuid.UUID | None,
    limit: DestinationLimit | None,
) -> None:
    """One message per channel of `to`; `limit` when the booker of a booking without an account asked for
    them, to an address nobody proved (rules.booker_asked)."""
    for channel, recipient in to.items():
        suppressed = limit is not None and await limit_reached(uow, limit, recipient)
        await record_delivery(
            uow,
            event_id,
            kind,
            channel,
            recipient,
            language,
            message_for(channel),
            account_id=account_id,
            suppressed=suppressed,
        )


async def record_bookings(
    uow: UnitOfWork,
    booked: Sequence[tuple[AppointmentBooked, EventEnvelope]],
    portal_base_url: str,
    offsets_hours: Sequence[float],
    now: datetime,
    anonymous_limit: DestinationLimit,
) -> list[int | None]:
    """Records each booking, its confirmations and reminders (queries.record_bookings, one round trip for the
    run); per booking, None when the event is stale (overtaken by its cancellation or move), else how many
    confirmations were written."""
    records, chosen_counts = [], []
    for event, envelope in booked:
        chosen = destinations(event.patient, event.notify_channels)
        details = AppointmentDetails.of(event, named=event.account_id is not None)
        # Rendered before the staleness check, so that the whole booking is written in one statement; a
        # stale booking (overtaken by its cancellation or move) is rare, and then its rendering is wasted.
        confirmations = {
            channel: (recipient, booking_confirmation(event, portal_base_url, channel))
            for channel, recipient in chosen.items()
        }
        reminders_due = plan(details.starts_at, offsets_hours, details.timezone, now) if chosen else {}
        records.append(
            queries.BookingRecord(
                envelope.id,
                envelope.occurred_at,
                details,
                event.account_id,
                event.manage_token,
                confirmations,
                reminders_due,
            )
        )
        chosen_counts.append(len(chosen))
    recorded = await queries.record_bookings(uow, records, anonymous_limit)
    return [count if done else None for count, done in zip(chosen_counts, recorded, strict=True)]


@dataclass(frozen=True)
class Advanced:
    """An appointment event applied: the appointment's reminders are cancelled (a move plans its own)."""

    # The account the appointment was booked from, as its reminders remember it (later events omit it).
    account_id: uuid.UUID | None


async def advance_appointment(
    uow: UnitOfWork, appointment_id: uuid.UUID, state: Literal["booked", "cancelled"], as_of: datetime
) -> Advanced | None:
    """Applies a cancellation or a move; None when the event is stale (a later event, or the cancellation,
    was already applied): then it must change nothing and send nothing."""
    if not await queries.advance_appointment(uow, appointment_id, state, as_of):
        return None
    account_id = await queries.account_of(uow, appointment_id)
    await queries.cancel_reminders(uow, appointment_id)
    return Advanced(account_id)


async def plan_reminders(
    uow: UnitOfWork,
    source_event_id: uuid.UUID,
    details: AppointmentDetails,
    destinations: Mapping[AppointmentChannel, str],
    manage_token: str,
    account_id: uuid.UUID | None,
    offsets_hours: Sequence[float],
    now: datetime,
) -> int:
    """Writes the reminders of a booked (or moved) appointment; see rules.plan for when."""
    if not destinations:
        return 0
    planned = plan(details.starts_at, offsets_hours, details.timezone, now)
    if not planned:
        return 0
    await queries.insert_reminders(uow, source_event_id, details, destinations, manage_token, account_id, planned)
    return len(planned)


async def erase_person(uow: UnitOfWork, account_id: uuid.UUID, contacts: Sequence[str | None]) -> None:
    """Removes the person's addresses and message contents from the delivery log, and forgets their
    reminders (pending ones are cancelled: nothing more goes out to someone who asked to be forgotten).

    Rows are anonymised rather than deleted so volumes per kind and channel stay countable. No keyed
    hash is kept: a hash would still let us tell whether a given address ever got a message.
    """
    lowered = contacts_to_match(contacts)
    erased = await queries.erase_deliveries_of(uow, account_id, lowered)
    forgotten = await queries.erase_reminders_of(uow, account_id, lowered)
    log.info("person_erased", account_id=str(account_id), deliveries=erased, reminders=forgotten)


async def send_due_deliveries(
    uow: UnitOfWork, channels: Channels, batch: int, max_attempts: int, stopping: Callable[[], bool]
) -> bool:
    """Sends the next due deliveries (up to the batch), whatever their channel; True when any was handled.

    Claiming is the costly step of a busy queue table: each sent row leaves a dead entry that the
    ordered, SKIP LOCKED scan walks over until a vacuum. A batch pays that walk once for several sends.

    The outcome of each send (sent with the provider's id, or failed with the error for a retry) is
    written for the whole batch in one statement per outcome, then committed: between a provider's
    acceptance and our record of it come only the remaining sends of the batch, those statements and
    the COMMIT. A crash inside that window can repeat those messages; each carries the same Message-ID
    (email) or client_reference (SMS), derived from the delivery id. On shutdown (`stopping`) the worker
    finishes the send in hand and commits; the rows it did not reach go back to the queue.
    """
    # The rows stay locked by this transaction, which the unit of work ends.
    due = await queries.claim_due_deliveries(uow, batch)
    if not due:
        return False
    sent: tuple[list[uuid.UUID], list[str]] = ([], [])
    failed: tuple[list[uuid.UUID], list[str]] = ([], [])
    for delivery in due:
        if stopping():
            break
        await _send_one(channels, delivery, sent, failed)
    if sent[0]:
        await queries.mark_sent(uow, *sent)
    if failed[0]:
        await queries.mark_retry(uow, *failed, max_attempts)
    await uow.commit()
    # One line per batch, naming each delivery: a line per delivery cost about 19 us each (structlog's rendering
    # and a write), paid for every confirmation of a surge. Failures have their own line above.
    log.info(
        "deliveries_handled",
        sent=[str(delivery_id) for delivery_id in sent[0]],
        failed=[str(delivery_id) for delivery_id in failed[0]],
    )
    return True


async def _send_one(
    channels: Channels,
    delivery: DueDelivery,
    sent: tuple[list[uuid.UUID], list[str]],
    failed: tuple[list[uuid.UUID], list[str]],
) -> None:
    try:
        provider_id = await channels.send(
            delivery.channel, str(delivery.id), delivery.recipient, delivery.subject, delivery.body, delivery.language
        )
    except Exception as exc:  # noqa: BLE001 - any provider failure is retried with backoff
        log.warning(
            "delivery_failed", delivery_id=str(delivery.id), attempt=delivery.attempts + 1, error=type(exc).__name__
        )
        failed[0].append(delivery.id)
        failed[1].append(f"{type(exc).__name__}: {exc}"[:500])
    else:
        sent[0].append(delivery.id)
        sent[1].append(provider_id)


@dataclass(frozen=True)
class RemindersHandled:
    # Claimed in this batch (a full batch means more may be due), and turned into deliveries.
    claimed: int
    queued: int


async def queue_due_reminders(
    uow: UnitOfWork, now: datetime, batch_size: int, portal_base_url: str
) -> RemindersHandled:
    """Handles one batch of reminders due at `now` in one transaction: each due reminder leaves with its group,
    the pending reminders of the same offset and day going to one of its destinations (rules.by_destination),
    as one message per destination listing them all.

    One replica at a time does this (queries.take_reminder_queue): a group's reminders could otherwise sit in two
    replicas' batches and leave as two messages. Reminders are claimed FOR UPDATE and marked 'queued' in the same
    transaction as their messages are written, so none is queued twice, and a message's event id comes from the
    reminders it lists (deliveries_once_per_event refuses a second one). The dispatcher then sends them with its
    retries, on every replica.
    """
    if not await queries.take_reminder_queue(uow):
        return RemindersHandled(claimed=0, queued=0)
    due = await queries.claim_due_reminders(uow, now, batch_size)
    settled: set[uuid.UUID] = set()
    queued = 0
    for due_reminder in due:
        if due_reminder.id not in settled:
            handled = await _settle(uow, due_reminder, now, portal_base_url)
            settled.update(handled)
            queued += len(handled)
    await uow.commit()
    return RemindersHandled(claimed=len(due), queued=queued)


async def _settle(uow: UnitOfWork, due: DueReminder, now: datetime, portal_base_url: str) -> list[uuid.UUID]:
    """Queues the messages of the reminder's group, or postpones or skips the reminder when `now` is no time to
    send (rules.reminder_fate); returns the reminders queued."""
    match reminder_fate(now, due.starts_at, due.details.timezone):
        case Skip(reason):
            await queries.mark_reminder_skipped(uow, due.id, now)
            log.info("reminder_skipped", reminder_id=str(due.id), reason=reason)
            return []
        case Postpone(until):
            await queries.postpone_reminder(uow, due.id, until)
            log.info("reminder_postponed", reminder_id=str(due.id), due_at=until.isoformat())
            return []
    group = await _group_of(uow, due)
    for member in group:
        # One already started (due in this batch, reached too late) is skipped, as reminder_fate would.
        if member.starts_at <= now:
            await queries.mark_reminder_skipped(uow, member.id, now)
    listed = [member for member in group if member.starts_at > now]
    for channel, recipient, members in by_destination(listed, lambda member: member.destinations):
        event_id = reminder_group_id(member.id for member in members)
        first = members[0]
        message = day_reminder(
            [(member.details, member.manage_token) for member in members], portal_base_url, channel, now
        )
        await queries.insert_delivery(
            uow,
            event_id,
            REMINDER,
            channel,
            recipient,
            next((member.account_id for member in members if member.account_id), None),
            first.details.language,
            message.subject,
            message.body,
            "pending",
            delivery_id=inline_delivery_id(event_id, channel, REMINDER),
        )
        await queries.list_in_message(uow, event_id, [member.id for member in members])
    ids = [member.id for member in listed]
    await queries.mark_reminders_queued(uow, ids, now)
    log.info("reminders_queued", reminder_id=str(due.id), listed=len(ids), channels=sorted(due.destinations))
    return ids


async def _group_of(uow: UnitOfWork, due: DueReminder) -> list[DueReminder]:
    """The due reminder and every pending reminder of its offset and day sharing a destination with it, or with
    one of those (a dependant's reminder may go to the holder's address and to a mobile of its own), locked,
    earliest appointment first."""
    group = {due.id: due}
    emails: set[str] = set()
    phones: set[str] = set()
    while True:
        found_emails = {
            destination_key(EMAIL, m.destinations[EMAIL]) for m in group.values() if EMAIL in m.destinations
        }
        found_phones = {destination_key(SMS, m.destinations[SMS]) for m in group.values() if SMS in m.destinations}
        if found_emails <= emails and found_phones <= phones:
            return sorted(group.values(), key=lambda member: (member.starts_at, member.id))
        emails |= found_emails
        phones |= found_phones
        for member in await queries.claim_reminder_group(
            uow, due.local_day, due.offset_minutes, sorted(emails), sorted(phones)
        ):
            group.setdefault(member.id, member)
