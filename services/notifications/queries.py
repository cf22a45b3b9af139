"""Every statement the notifications service sends to its database, and the rows they return.

The hot ones (each booking's record, the delivery log's writes, the dispatcher's claims) run on the unit
of work's driver connection with asyncpg's prepared statements (see shared.db.transaction_driver_connection):
SQLAlchemy's per-statement machinery cost more CPU than the work itself. Their text is measured by the
benchmarks: change it only with a figure.

What an AppointmentBooked writes, in one statement: the appointment's latest version, its confirmations
in the delivery log and its reminders, the last two only when the event is not stale.

Every booking pays for this, so it is one round trip on the unit of work's driver connection instead of
one statement per table (advance_appointment, insert_delivery, insert_reminders do the same writes one by
one for the rarer events). Data-modifying CTEs all run, on one snapshot; the inserts are gated on the
version upsert having returned its row.

A booking made without an account (account_id NULL) is limited per destination (rules.DestinationLimit): a
confirmation past the limit is recorded as suppressed, and a booking whose every confirmation was
suppressed plans no reminder. Counted in this statement, without LOCK_DESTINATION (that would be one more
round trip per booking): consumer transactions running at once for one address (two runners per replica)
do not see each other's uncommitted messages, so an address can get one message past the limit per
concurrent transaction, once per window.

The reminder schedule: planned from appointment events, cancelled with the appointment, erased with
the person. The manage token (it authorises the confirm/cancel links without a login) is kept on the
reminder row only while the reminder is pending: it is set to NULL when the reminder is queued (its
deliveries then carry it in their body, blanked once sent), cancelled or skipped.
"""

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import RowMapping, func, select, text
from sqlalchemy.dialects.postgresql import insert

from services.notifications.models import deliveries, reminders
from services.notifications.rules import (
    CONFIRMATION,
    ERASED,
    REMINDER,
    AppointmentDetails,
    DestinationLimit,
    RenderedMessage,
)
from shared.contracts.appointments import Channel
from shared.db import transaction_driver_connection
from shared.ids import new_id
from shared.unit_of_work import UnitOfWork

# Same conditions as ADVANCE, same columns and conflict targets as RECORD_DELIVERY and PLAN. JSON goes in as
# text and is cast in SQL (independent of the connection's jsonb codec).
RECORD_BOOKING = """
WITH advanced AS (
  INSERT INTO appointment_versions (appointment_id, state, as_of) VALUES ($1, 'booked', $2)
  ON CONFLICT (appointment_id) DO UPDATE SET state = excluded.state, as_of = excluded.as_of
  WHERE appointment_versions.as_of < excluded.as_of AND appointment_versions.state <> 'cancelled'
  RETURNING 1
), queued AS (
  INSERT INTO deliveries (id, event_id, kind, channel, recipient, account_id, language, subject, body, status)
  SELECT message.id, $3, $4, message.channel, message.recipient, $5, $6, message.subject,
    CASE WHEN limit_reached.yes THEN '' ELSE message.body END,
    CASE WHEN limit_reached.yes THEN 'suppressed' ELSE 'pending' END
  FROM unnest($7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[])
    AS message (id, channel, recipient, subject, body)
  -- SENT_TO_DESTINATION below, for bookings without an account only.
  CROSS JOIN LATERAL (
    SELECT $5::uuid IS NULL
      AND (count(*) FILTER (WHERE sent.created_at > now() - interval '1 hour') >= $19 OR count(*) >= $20) AS yes
    FROM deliveries sent
    WHERE $5::uuid IS NULL AND lower(sent.recipient) = lower(message.recipient) AND sent.kind = ANY($21::text[])
      AND sent.account_id IS NULL AND sent.status <> 'suppressed' AND sent.created_at > now() - interval '24 hours'
  ) AS limit_reached
  WHERE EXISTS (SELECT 1 FROM advanced)
  ON CONFLICT ON CONSTRAINT deliveries_once_per_event DO NOTHING
  RETURNING status
), planned AS (
  INSERT INTO reminders (id, offset_minutes, due_at, appointment_id, source_event_id, account_id, starts_at,
    destinations, details, manage_token, local_day)
  SELECT reminder.id, reminder.offset_minutes, reminder.due_at, $1, $3, $5, $15, $16::text::jsonb,
    $17::text::jsonb, $18, $22
  FROM unnest($12::uuid[], $13::int[], $14::timestamptz[]) AS reminder (id, offset_minutes, due_at)
  WHERE EXISTS (SELECT 1 FROM advanced) AND EXISTS (SELECT 1 FROM queued WHERE status = 'pending')
  ON CONFLICT ON CONSTRAINT reminders_once_per_event DO NOTHING
)
SELECT EXISTS (SELECT 1 FROM advanced)
"""


@dataclass(frozen=True)
class BookingRecord:
    """One booking to record: `confirmations` is {channel: (address, message)}, `reminders_due` {offset in
    minutes: send time} (rules.plan)."""

    event_id: uuid.UUID
    occurred_at: datetime
    details: AppointmentDetails
    account_id: uuid.UUID | None
    manage_token: str
    confirmations: Mapping[Channel, tuple[str, RenderedMessage]]
    reminders_due: Mapping[int, datetime]

    def arguments(self, anonymous_limit: DestinationLimit) -> tuple[object, ...]:
        destinations = {channel: address for channel, (address, _) in self.confirmations.items()}
        messages = self.confirmations.values()
        return (
            self.details.appointment_id,
            self.occurred_at,
            self.event_id,
            CONFIRMATION,
            self.account_id,
            self.details.language,
            [new_id() for _ in self.confirmations],
            list(self.confirmations),
            [address for address, _ in messages],
            [message.subject for _, message in messages],
            [message.body for _, message in messages],
            [new_id() for _ in self.reminders_due],
            list(self.reminders_due),
            list(self.reminders_due.values()),
            self.details.starts_at,
            json.dumps(destinations),
            json.dumps(self.details.stored()),
            self.manage_token,
            anonymous_limit.per_hour,
            anonymous_limit.per_day,
            list(anonymous_limit.kinds),
            self.details.local_day,
        )


async def record_bookings(
    uow: UnitOfWork, bookings: Sequence[BookingRecord], anonymous_limit: DestinationLimit
) -> list[bool]:
    """Records each booking, in order, in one round trip (asyncpg pipelines the statements: one per booking,
    each seeing the ones before it, as separate calls did); per booking, False when the event is stale (a later
    event, or the cancellation, was already applied): then nothing is queued or planned for it.
    `anonymous_limit` applies to the bookings without an account."""
    driver = await transaction_driver_connection(uow.session)
    rows = await driver.fetchmany(RECORD_BOOKING, [booking.arguments(anonymous_limit) for booking in bookings])
    return [bool(row[0]) for row in rows]


RECORD_DELIVERY = """
INSERT INTO deliveries (id, event_id, kind, channel, recipient, account_id, language, subject, body, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT ON CONSTRAINT deliveries_once_per_event DO NOTHING
"""


async def insert_delivery(
    uow: UnitOfWork,
    event_id: uuid.UUID,
    kind: str,
    channel: str,
    recipient: str,
    account_id: uuid.UUID | None,
    language: str,
    subject: str,
    body: str,
    status: str,
    delivery_id: uuid.UUID | None = None,
) -> None:
    """Queues one message in the delivery log (at most once per event, kind and channel). `delivery_id` when
    the caller derives it from what the message is (a reminder group), else a new one."""
    # On the driver: one of the statements every booking pays for (see transaction_driver_connection).
    driver = await transaction_driver_connection(uow.session)
    await driver.execute(
        RECORD_DELIVERY,
        delivery_id or new_id(),
        event_id,
        kind,
        channel,
        recipient,
        account_id,
        language,
        subject,
        body,
        status,
    )


async def insert_sent_delivery(
    uow: UnitOfWork,
    delivery_id: uuid.UUID,
    event_id: uuid.UUID,
    kind: str,
    channel: str,
    recipient: str,
    account_id: uuid.UUID | None,
    language: str,
    subject: str,
    body: str,
    provider_id: str,
) -> None:
    """Logs a message sent inline, from the consumer, as sent."""
    await uow.session.execute(
        insert(deliveries)
        .values(
            id=delivery_id,
            event_id=event_id,
            kind=kind,
            channel=channel,
            recipient=recipient,
            account_id=account_id,
            language=language,
            subject=subject,
            body=body,
            status="sent",
            attempts=1,
            sent_at=func.now(),
            provider_message_id=provider_id,
        )
        .on_conflict_do_nothing(constraint="deliveries_once_per_event")
    )


LOCK_CAUSE = text("SELECT pg_advisory_xact_lock(hashtextextended('notifications:cause:' || :key, 0))")


async def delivery_recorded(uow: UnitOfWork, event_id: uuid.UUID, channel: str, kind: str) -> bool:
    """Whether the delivery log already has this message (deliveries_once_per_event's key). Takes the key's
    lock until the transaction ends: a second event of the same cause, applied at the same time by another
    runner, waits for this one's commit and then finds its row."""
    await uow.session.execute(LOCK_CAUSE, {"key": f"{event_id}:{channel}:{kind}"})
    found = await uow.session.execute(
        select(deliveries.c.id)
        .where(deliveries.c.event_id == event_id, deliveries.c.channel == channel, deliveries.c.kind == kind)
        .limit(1)
    )
    return found.first() is not None


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


async def erase_deliveries_of(uow: UnitOfWork, account_id: uuid.UUID, contacts: list[str]) -> int:
    """Anonymises the person's rows of the delivery log (`contacts` lowered); returns the rows touched."""
    result = await uow.session.execute(ERASE_PERSON, {"account_id": account_id, "contacts": contacts})
    rowcount: int = result.rowcount  # type: ignore[attr-defined]
    return rowcount


@dataclass(frozen=True)
class DueDelivery:
    id: uuid.UUID
    channel: str
    recipient: str
    subject: str
    body: str
    language: str
    attempts: int


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
# The dispatcher's connections (main.py gives it a pool of its own): no sequential scan, whatever the statistics
# say. Its statements are prepared once per connection, and PostgreSQL keeps the generic plan it made then: made
# while the delivery log was small (a new database), MARK_SENT's was a hash join over the whole table, kept as the
# log grew until an ANALYZE replaced it: 1,535 scans read 7.2 million rows in a 40 s surge.
# No JIT either: a statement left without an index path would carry that cost into the compiler's threshold.
DISPATCH_SERVER_SETTINGS = {"enable_seqscan": "off", "jit": "off"}


async def claim_due_deliveries(uow: UnitOfWork, batch: int) -> list[DueDelivery]:
    """The next due deliveries, locked by the unit of work's transaction until it ends."""
    # On the driver, with prepared statements: SQLAlchemy's per-statement machinery cost more CPU
    # than the send itself.
    driver = await transaction_driver_connection(uow.session)
    rows = await driver.fetch(CLAIM_DUE, batch)
    return [
        DueDelivery(
            id=row["id"],
            channel=row["channel"],
            recipient=row["recipient"],
            subject=row["subject"],
            body=row["body"],
            language=row["language"],
            attempts=row["attempts"],
        )
        for row in rows
    ]


async def mark_sent(uow: UnitOfWork, ids: list[uuid.UUID], provider_ids: list[str]) -> None:
    driver = await transaction_driver_connection(uow.session)
    await driver.execute(MARK_SENT, ids, provider_ids)


async def mark_retry(uow: UnitOfWork, ids: list[uuid.UUID], errors: list[str], max_attempts: int) -> None:
    """Failed sends: retried with backoff, given up (failed) at `max_attempts`."""
    driver = await transaction_driver_connection(uow.session)
    await driver.execute(MARK_RETRY, ids, errors, max_attempts)


# Transaction-scoped: two consumers counting for one address take turns, so both cannot slip under.
LOCK_DESTINATION = "SELECT pg_advisory_xact_lock(hashtextextended('notifications:destination:' || lower($1), 0))"

# Messages without an account (account_id NULL) that were or will be sent: suppressed ones do not count,
# so a flood does not keep the address muted longer than the window.
SENT_TO_DESTINATION = """
SELECT count(*) FILTER (WHERE created_at > now() - interval '1 hour') AS last_hour, count(*) AS last_day
FROM deliveries
WHERE lower(recipient) = lower($1) AND kind = ANY($2::text[]) AND account_id IS NULL AND status <> 'suppressed'
  AND created_at > now() - interval '24 hours'
"""


@dataclass(frozen=True)
class SentCounts:
    last_hour: int
    last_day: int


async def sent_to_destination(uow: UnitOfWork, recipient: str, kinds: Sequence[str]) -> SentCounts:
    """How many of `kinds` went to `recipient` lately; takes the destination's lock, held until the
    transaction ends, so that the caller's message is counted by the next one to ask."""
    driver = await transaction_driver_connection(uow.session)
    await driver.execute(LOCK_DESTINATION, recipient)
    counted = await driver.fetchrow(SENT_TO_DESTINATION, recipient, list(kinds))
    assert counted is not None  # an aggregate without GROUP BY always returns its one row
    return SentCounts(last_hour=counted["last_hour"], last_day=counted["last_day"])


ADVANCE = """
INSERT INTO appointment_versions (appointment_id, state, as_of) VALUES ($1, $2, $3)
ON CONFLICT (appointment_id) DO UPDATE SET state = excluded.state, as_of = excluded.as_of
WHERE appointment_versions.as_of < excluded.as_of AND appointment_versions.state <> 'cancelled'
RETURNING 1
"""


async def advance_appointment(
    uow: UnitOfWork, appointment_id: uuid.UUID, state: Literal["booked", "cancelled"], as_of: datetime
) -> bool:
    """Records the appointment's latest event; False when this one is stale (a later event, or the
    cancellation, was already applied): then it must change nothing and send nothing."""
    # On the driver: every appointment event runs it (see transaction_driver_connection).
    driver = await transaction_driver_connection(uow.session)
    return await driver.fetchval(ADVANCE, appointment_id, state, as_of) is not None


# JSON goes in as text and is cast in SQL, so it does not depend on the connection's jsonb codec.
PLAN = """
INSERT INTO reminders (id, offset_minutes, due_at, appointment_id, source_event_id, account_id, starts_at,
  destinations, details, manage_token, local_day)
SELECT planned.id, planned.offset_minutes, planned.due_at, $4, $5, $6, $7, $8::text::jsonb, $9::text::jsonb, $10,
  $11
FROM unnest($1::uuid[], $2::int[], $3::timestamptz[]) AS planned (id, offset_minutes, due_at)
ON CONFLICT ON CONSTRAINT reminders_once_per_event DO NOTHING
"""


async def insert_reminders(
    uow: UnitOfWork,
    source_event_id: uuid.UUID,
    details: AppointmentDetails,
    destinations: Mapping[Channel, str],
    manage_token: str,
    account_id: uuid.UUID | None,
    planned: Mapping[int, datetime],
) -> None:
    """Writes the reminders `planned` ({offset in minutes: send time}, rules.plan) of an appointment."""
    driver = await transaction_driver_connection(uow.session)
    # One statement for all the offsets, on the driver (see transaction_driver_connection).
    await driver.execute(
        PLAN,
        [new_id() for _ in planned],
        list(planned),
        list(planned.values()),
        details.appointment_id,
        source_event_id,
        account_id,
        details.starts_at,
        json.dumps(dict(destinations)),
        json.dumps(details.stored()),
        manage_token,
        details.local_day,
    )


CANCEL_PENDING = text("""
UPDATE reminders SET state = 'cancelled', manage_token = NULL, settled_at = now()
WHERE appointment_id = :appointment_id AND state = 'pending'
""")
# A reminder already queued withdraws its line from the message that lists it.
WITHDRAW_QUEUED = text("""
UPDATE reminder_deliveries SET withdrawn_at = now()
WHERE withdrawn_at IS NULL AND reminder_id IN (SELECT id FROM reminders WHERE appointment_id = :appointment_id)
""")
# A message not yet sent (provider down, dispatcher behind) whose every line is withdrawn must not go out. One that
# still lists a live appointment goes out as written: it cannot be rendered again, its links' tokens are in its
# body only, and the cancellation notice has told of the change.
CANCEL_QUEUED = text(f"""
UPDATE deliveries SET status = 'cancelled', body = ''
WHERE status = 'pending' AND kind = '{REMINDER}'
  AND event_id IN (
    SELECT listed.event_id FROM reminder_deliveries listed JOIN reminders ON reminders.id = listed.reminder_id
    WHERE reminders.appointment_id = :appointment_id)
  AND NOT EXISTS (
    SELECT 1 FROM reminder_deliveries listed
    WHERE listed.event_id = deliveries.event_id AND listed.withdrawn_at IS NULL)
""")


async def cancel_reminders(uow: UnitOfWork, appointment_id: uuid.UUID) -> None:
    """No reminder of this appointment goes out any more (cancelled, or moved: the new time plans its own)."""
    await uow.session.execute(CANCEL_PENDING, {"appointment_id": appointment_id})
    await uow.session.execute(WITHDRAW_QUEUED, {"appointment_id": appointment_id})
    await uow.session.execute(CANCEL_QUEUED, {"appointment_id": appointment_id})


ACCOUNT_OF = text("""
SELECT account_id FROM reminders WHERE appointment_id = :appointment_id AND account_id IS NOT NULL LIMIT 1
""")


async def account_of(uow: UnitOfWork, appointment_id: uuid.UUID) -> uuid.UUID | None:
    """The account the appointment was booked from, as its reminders remember it (later events omit it)."""
    account_id: uuid.UUID | None = (await uow.session.execute(ACCOUNT_OF, {"appointment_id": appointment_id})).scalar()
    return account_id


ERASE_REMINDERS = text("""
UPDATE reminders SET destinations = '{}', details = '{}', manage_token = NULL, account_id = NULL,
  state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END, settled_at = coalesce(settled_at, now())
WHERE account_id = :account_id
   OR EXISTS (SELECT 1 FROM unnest(CAST(:contacts AS text[])) AS contact
              WHERE strpos(lower(destinations::text), contact) > 0)
""")


async def erase_reminders_of(uow: UnitOfWork, account_id: uuid.UUID, contacts: list[str]) -> int:
    """Forgets the person's reminders (`contacts` lowered): pending ones are cancelled, addresses and names
    are blanked; returns the rows touched."""
    result = await uow.session.execute(ERASE_REMINDERS, {"account_id": account_id, "contacts": contacts})
    rowcount: int = result.rowcount  # type: ignore[attr-defined]
    return rowcount


@dataclass(frozen=True)
class DueReminder:
    id: uuid.UUID
    account_id: uuid.UUID | None
    starts_at: datetime
    # {channel: address}, as planned.
    destinations: dict[Channel, str]
    details: AppointmentDetails
    manage_token: str
    offset_minutes: int
    local_day: date


_REMINDER_COLUMNS = (
    reminders.c.id,
    reminders.c.appointment_id,
    reminders.c.account_id,
    reminders.c.starts_at,
    reminders.c.destinations,
    reminders.c.details,
    reminders.c.manage_token,
    reminders.c.offset_minutes,
    reminders.c.local_day,
)


def _due_reminder(row: RowMapping) -> DueReminder:
    return DueReminder(
        id=row["id"],
        account_id=row["account_id"],
        starts_at=row["starts_at"],
        destinations=row["destinations"],
        details=AppointmentDetails.from_stored(row["appointment_id"], row["starts_at"], row["details"]),
        manage_token=row["manage_token"],
        offset_minutes=row["offset_minutes"],
        local_day=row["local_day"],
    )


# Transaction-scoped, tried without waiting: one replica at a time turns reminders into messages, because a
# group's reminders may be due in several replicas' batches at once and must still leave as one message. The
# sending itself, the costly part, stays shared by every replica's dispatcher.
TAKE_REMINDER_QUEUE = text("SELECT pg_try_advisory_xact_lock(hashtextextended('notifications:reminder-queue', 0))")


async def take_reminder_queue(uow: UnitOfWork) -> bool:
    """Whether this transaction may queue reminders now; False while another replica is at it."""
    taken: bool = (await uow.session.execute(TAKE_REMINDER_QUEUE)).scalar_one()
    return taken


async def claim_due_reminders(uow: UnitOfWork, now: datetime, batch_size: int) -> list[DueReminder]:
    """Reminders due at `now`, locked (FOR UPDATE SKIP LOCKED) until the unit of work ends."""
    claim_due = (
        select(*_REMINDER_COLUMNS)
        .where(reminders.c.state == "pending", reminders.c.due_at <= now)
        .order_by(reminders.c.due_at)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )
    return [_due_reminder(row) for row in (await uow.session.execute(claim_due)).mappings()]


# Literal keys and state, so that the planner matches the partial expression indexes reminders_group_email and
# reminders_group_sms.
CLAIM_GROUP = text("""
SELECT id, appointment_id, account_id, starts_at, destinations, details, manage_token, offset_minutes, local_day
FROM reminders
WHERE state = 'pending' AND local_day = :local_day AND offset_minutes = :offset_minutes
  AND (lower(destinations ->> 'email') = ANY(CAST(:emails AS text[]))
       OR destinations ->> 'sms' = ANY(CAST(:phones AS text[])))
ORDER BY starts_at, id
FOR UPDATE
""").columns(*_REMINDER_COLUMNS)


async def claim_reminder_group(
    uow: UnitOfWork, local_day: date, offset_minutes: int, emails: Sequence[str], phones: Sequence[str]
) -> list[DueReminder]:
    """The pending reminders of this day and offset going to any of `emails` (lowered) or `phones`, due or not,
    locked until the unit of work ends (waiting for a consumer changing one of them to commit)."""
    found = await uow.session.execute(
        CLAIM_GROUP,
        {"local_day": local_day, "offset_minutes": offset_minutes, "emails": list(emails), "phones": list(phones)},
    )
    return [_due_reminder(row) for row in found.mappings()]


MARK_QUEUED = text("UPDATE reminders SET state = 'queued', manage_token = NULL, settled_at = :now WHERE id = ANY(:ids)")
MARK_SKIPPED = text("UPDATE reminders SET state = 'skipped', manage_token = NULL, settled_at = :now WHERE id = :id")
POSTPONE = text("UPDATE reminders SET due_at = :due_at WHERE id = :id")
LIST_IN_MESSAGE = text("""
INSERT INTO reminder_deliveries (event_id, reminder_id) SELECT :event_id, unnest(CAST(:ids AS uuid[]))
ON CONFLICT ON CONSTRAINT reminder_deliveries_pkey DO NOTHING
""")


async def mark_reminders_queued(uow: UnitOfWork, reminder_ids: Sequence[uuid.UUID], now: datetime) -> None:
    await uow.session.execute(MARK_QUEUED, {"ids": list(reminder_ids), "now": now})


async def list_in_message(uow: UnitOfWork, event_id: uuid.UUID, reminder_ids: Sequence[uuid.UUID]) -> None:
    """Records that the reminder message `event_id` lists these reminders."""
    await uow.session.execute(LIST_IN_MESSAGE, {"event_id": event_id, "ids": list(reminder_ids)})


async def mark_reminder_skipped(uow: UnitOfWork, reminder_id: uuid.UUID, now: datetime) -> None:
    await uow.session.execute(MARK_SKIPPED, {"id": reminder_id, "now": now})


async def postpone_reminder(uow: UnitOfWork, reminder_id: uuid.UUID, due_at: datetime) -> None:
    await uow.session.execute(POSTPONE, {"id": reminder_id, "due_at": due_at})
