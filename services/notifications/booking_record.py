"""What an AppointmentBooked writes, in one statement: the appointment's latest version, its confirmations
in the delivery log and its reminders, the last two only when the event is not stale.

Every booking pays for this, so it is one round trip on the unit of work's driver connection instead of
one statement per table (reminders.advance_appointment, service.record_delivery, reminders.plan_reminders
do the same writes one by one for the rarer events). Data-modifying CTEs all run, on one snapshot; the
inserts are gated on the version upsert having returned its row.

A booking made without an account (account_id NULL) is limited per destination (destination_limits): a
confirmation past the limit is recorded as suppressed, and a booking whose every confirmation was
suppressed plans no reminder. Counted in this statement, without destination_limits' lock (that would be
one more round trip per booking): consumer transactions running at once for one address (two runners per
replica) do not see each other's uncommitted messages, so an address can get one message past the limit
per concurrent transaction, once per window.
"""

import json
import uuid
from collections.abc import Mapping
from datetime import datetime

from services.notifications.appointment_messages import AppointmentDetails
from services.notifications.destination_limits import DestinationLimit
from services.notifications.rendering import RenderedMessage
from shared.db import transaction_driver_connection
from shared.ids import new_id
from shared.unit_of_work import UnitOfWork

CONFIRMATION = "appointment_booked"

# Same conditions as reminders.ADVANCE, same columns and conflict targets as service.RECORD_DELIVERY and
# reminders.PLAN. JSON goes in as text and is cast in SQL (independent of the connection's jsonb codec).
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
  -- destination_limits.SENT_TO_DESTINATION, for bookings without an account only.
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
    destinations, details, manage_token)
  SELECT reminder.id, reminder.offset_minutes, reminder.due_at, $1, $3, $5, $15, $16::text::jsonb,
    $17::text::jsonb, $18
  FROM unnest($12::uuid[], $13::int[], $14::timestamptz[]) AS reminder (id, offset_minutes, due_at)
  WHERE EXISTS (SELECT 1 FROM advanced) AND EXISTS (SELECT 1 FROM queued WHERE status = 'pending')
  ON CONFLICT ON CONSTRAINT reminders_once_per_event DO NOTHING
)
SELECT EXISTS (SELECT 1 FROM advanced)
"""


async def record_booking(
    uow: UnitOfWork,
    event_id: uuid.UUID,
    occurred_at: datetime,
    details: AppointmentDetails,
    account_id: uuid.UUID | None,
    manage_token: str,
    confirmations: Mapping[str, tuple[str, RenderedMessage]],
    reminders_due: Mapping[int, datetime],
    anonymous_limit: DestinationLimit,
) -> bool:
    """Records the booking; False when the event is stale (a later event, or the cancellation, was already
    applied): then nothing is queued or planned. `confirmations` is {channel: (address, message)},
    `reminders_due` {offset in minutes: send time} (reminder_window.plan); `anonymous_limit` applies when
    `account_id` is None."""
    destinations = {channel: address for channel, (address, _) in confirmations.items()}
    messages = confirmations.values()
    driver = await transaction_driver_connection(uow.session)
    return await driver.fetchval(
        RECORD_BOOKING,
        details.appointment_id,
        occurred_at,
        event_id,
        CONFIRMATION,
        account_id,
        details.language,
        [new_id() for _ in confirmations],
        list(confirmations),
        [address for address, _ in messages],
        [message.subject for _, message in messages],
        [message.body for _, message in messages],
        [new_id() for _ in reminders_due],
        list(reminders_due),
        list(reminders_due.values()),
        details.starts_at,
        json.dumps(destinations),
        json.dumps(details.stored()),
        manage_token,
        anonymous_limit.per_hour,
        anonymous_limit.per_day,
        list(anonymous_limit.kinds),
    )
