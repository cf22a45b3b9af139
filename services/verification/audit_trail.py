"""The append-only audit log: what staff and the system did, with ids and reasons, never personal data.

Rows are only ever inserted here; the database itself refuses UPDATE and DELETE (migration 0003).
"""

import json
import uuid
from typing import Any

from sqlalchemy import text

from services.verification.validation_schemas import AuditEntry
from shared.contracts.appointments import PatientRecordsViewed
from shared.unit_of_work import UnitOfWork

INSERT_ENTRY = text("""
INSERT INTO audit_log (at, actor, establishment_id, action, account_id, person_id, details)
VALUES (:at, :actor, :establishment_id, :action, :account_id, :person_id, CAST(:details AS jsonb))
""")

ENTRIES_OF_ESTABLISHMENT = text("""
SELECT id, at, actor, establishment_id, action, account_id, person_id, details
FROM audit_log WHERE establishment_id = :establishment_id
ORDER BY id DESC LIMIT :limit
""")


async def record(
    uow: UnitOfWork,
    *,
    at: Any,
    actor: str,
    establishment_id: uuid.UUID | None,
    action: str,
    account_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    details: dict[str, str] | None = None,
) -> None:
    """Written in the caller's transaction: an action and its audit row commit (or not) together."""
    await uow.session.execute(
        INSERT_ENTRY,
        {
            "at": at,
            "actor": actor,
            "establishment_id": establishment_id,
            "action": action,
            "account_id": account_id,
            "person_id": person_id,
            "details": json.dumps(details or {}),
        },
    )


async def entries_of(uow: UnitOfWork, establishment_id: uuid.UUID, limit: int) -> list[AuditEntry]:
    async with uow:
        rows = await uow.session.execute(
            ENTRIES_OF_ESTABLISHMENT, {"establishment_id": establishment_id, "limit": limit}
        )
        return [AuditEntry.model_validate(row, from_attributes=True) for row in rows]


async def record_staff_read(uow: UnitOfWork, event: PatientRecordsViewed) -> None:
    """Appointments reports what staff read; the inbox makes a redelivery write no second row."""
    await record(
        uow,
        at=event.at,
        actor=str(event.staff_id),
        establishment_id=event.establishment_id,
        action=f"patient_records_viewed:{event.view}",
        details={
            "appointments": str(len(event.appointment_ids)),
            # A day's list can hold hundreds of ids; the record keeps which ones (ids only).
            "appointment_ids": ",".join(str(i) for i in event.appointment_ids),
        },
    )
