"""The record-access SQL: the audit rows about given appointments or about one account's people."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from services.verification.record_access.rules import ACCOUNT_ACTIONS, APPOINTMENT_ACTIONS
from shared.unit_of_work import UnitOfWork

# The appointments a row names, as text: a read's list (details.appointment_ids) or a caller's booking's one
# (details.appointment_id). The same expression as the index audit_log_by_appointment (migration 0009), so a
# GIN scan finds the rows naming any asked appointment however long the day lists are.
APPOINTMENT_KEYS = "string_to_array(coalesce(details->>'appointment_ids', details->>'appointment_id'), ',')"

# Only the asked appointments come back from a row: a day list's other patients never leave the service. In the
# order things happened: a read reaches the log through the bus, after a validation made later over HTTP.
ENTRIES_ABOUT = text(f"""
SELECT id, at, action, establishment_id, actor_role, account_id, person_id,
  ARRAY(SELECT CAST(k AS uuid) FROM unnest({APPOINTMENT_KEYS}) AS k WHERE k = ANY(CAST(:ids AS text[])))
    AS appointment_ids
FROM audit_log
WHERE actor <> 'system' AND (
  (action = ANY(CAST(:appointment_actions AS text[])) AND {APPOINTMENT_KEYS} && CAST(:ids AS text[]))
  OR (account_id = :account_id AND action = ANY(CAST(:account_actions AS text[]))))
ORDER BY at DESC, id DESC LIMIT :limit
""")


@dataclass(frozen=True)
class AccessRow:
    id: int
    at: datetime
    action: str
    establishment_id: uuid.UUID | None
    actor_role: str | None
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    appointment_ids: list[uuid.UUID]


async def entries_about(
    uow: UnitOfWork, account_id: uuid.UUID, appointment_ids: list[uuid.UUID], limit: int
) -> list[AccessRow]:
    """Newest first: staff's rows naming any of the appointments, and those about the account's validations."""
    rows = await uow.session.execute(
        ENTRIES_ABOUT,
        {
            "ids": [str(i) for i in appointment_ids],
            "account_id": account_id,
            "appointment_actions": list(APPOINTMENT_ACTIONS),
            "account_actions": list(ACCOUNT_ACTIONS),
            "limit": limit,
        },
    )
    return [AccessRow(**row._mapping) for row in rows]
