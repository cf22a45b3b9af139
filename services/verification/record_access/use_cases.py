"""Who read my record: the audit rows that concern a citizen's account, for the gateway's page.

Who may see which appointment is decided in one place, the appointments service (the account's own bookings,
those of accounts linked to it by the NAM, a shared child's once both associations are validated, and bookings
made without an account once a clinic validated the person). The gateway asks appointments for that list and
passes its ids here, so this service never keeps a second copy of that rule, which could drift from the one
the citizen's appointments list follows. What this service decides itself is only what it owns: the
validations of the account's own holder and people.
"""

import uuid

from services.verification.record_access import queries
from services.verification.record_access.rules import MOST_ENTRIES, shown_role
from services.verification.record_access.schemas import RecordAccessEntry, RecordAccessResponse
from shared.unit_of_work import UnitOfWork


def _entry(row: queries.AccessRow) -> RecordAccessEntry:
    return RecordAccessEntry(
        id=row.id,
        at=row.at,
        action=row.action,
        establishment_id=row.establishment_id,
        staff_role=shown_role(row.actor_role),
        appointment_ids=row.appointment_ids,
        person_id=row.person_id or row.account_id,  # an identity's row names the account: its holder
    )


async def record_access(
    uow: UnitOfWork, account_id: uuid.UUID, appointment_ids: list[uuid.UUID]
) -> RecordAccessResponse:
    async with uow:
        rows = await queries.entries_about(uow, account_id, list(dict.fromkeys(appointment_ids)), MOST_ENTRIES)
    return RecordAccessResponse(entries=[_entry(row) for row in rows])
