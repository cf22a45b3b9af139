"""The reminder schedule: planned from appointment events, cancelled with the appointment, erased with
the person. The ReminderScheduler (reminder_scheduler.py) turns due rows into deliveries.

The manage token (it authorises the confirm/cancel links without a login) is kept on the reminder row
only while the reminder is pending: it is set to NULL when the reminder is queued (its deliveries then
carry it in their body, blanked once sent), cancelled or skipped.
"""

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import text

from services.notifications import reminder_window
from services.notifications.appointment_messages import AppointmentDetails
from shared.db import transaction_driver_connection
from shared.ids import new_id
from shared.unit_of_work import UnitOfWork

REMINDER = "appointment_reminder"

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
  destinations, details, manage_token)
SELECT planned.id, planned.offset_minutes, planned.due_at, $4, $5, $6, $7, $8::text::jsonb, $9::text::jsonb, $10
FROM unnest($1::uuid[], $2::int[], $3::timestamptz[]) AS planned (id, offset_minutes, due_at)
ON CONFLICT ON CONSTRAINT reminders_once_per_event DO NOTHING
"""


async def plan_reminders(
    uow: UnitOfWork,
    source_event_id: uuid.UUID,
    details: AppointmentDetails,
    destinations: Mapping[str, str],
    manage_token: str,
    account_id: uuid.UUID | None,
    offsets_hours: Sequence[float],
    now: datetime,
) -> int:
    """Writes the reminders of a booked (or moved) appointment; see reminder_window.plan for when."""
    if not destinations:
        return 0
    planned = reminder_window.plan(details.starts_at, offsets_hours, details.timezone, now)
    if not planned:
        return 0
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
    )
    return len(planned)


CANCEL_PENDING = text("""
UPDATE reminders SET state = 'cancelled', manage_token = NULL, settled_at = now()
WHERE appointment_id = :appointment_id AND state = 'pending'
""")
# Reminders already queued but not yet sent (provider down, dispatcher behind) must not go out either.
CANCEL_QUEUED = text(f"""
UPDATE deliveries SET status = 'cancelled', body = ''
WHERE status = 'pending' AND kind = '{REMINDER}'
  AND event_id IN (SELECT id FROM reminders WHERE appointment_id = :appointment_id)
""")


async def cancel_reminders(uow: UnitOfWork, appointment_id: uuid.UUID) -> None:
    """No reminder of this appointment goes out any more (cancelled, or moved: the new time plans its own)."""
    await uow.session.execute(CANCEL_PENDING, {"appointment_id": appointment_id})
    await uow.session.execute(CANCEL_QUEUED, {"appointment_id": appointment_id})


ACCOUNT_OF = text("""
SELECT account_id FROM reminders WHERE appointment_id = :appointment_id AND account_id IS NOT NULL LIMIT 1
""")


async def account_of(uow: UnitOfWork, appointment_id: uuid.UUID) -> uuid.UUID | None:
    """The account the appointment was booked from, as its reminders remember it (later events omit it)."""
    return (await uow.session.execute(ACCOUNT_OF, {"appointment_id": appointment_id})).scalar()


ERASE_PERSON = text("""
UPDATE reminders SET destinations = '{}', details = '{}', manage_token = NULL, account_id = NULL,
  state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END, settled_at = coalesce(settled_at, now())
WHERE account_id = :account_id
   OR EXISTS (SELECT 1 FROM unnest(CAST(:contacts AS text[])) AS contact
              WHERE strpos(lower(destinations::text), contact) > 0)
""")


async def erase_person(uow: UnitOfWork, account_id: uuid.UUID, contacts: list[str]) -> int:
    """Forgets the person's reminders, as the delivery log does: pending ones are cancelled (nothing
    more goes out to someone who asked to be forgotten), addresses and names are blanked."""
    lowered = sorted({contact.strip().lower() for contact in contacts if contact and contact.strip()})
    result = await uow.session.execute(ERASE_PERSON, {"account_id": account_id, "contacts": lowered})
    return result.rowcount
