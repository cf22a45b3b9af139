"""The validations' SQL: identity and association validations, who is a patient where (clinic_patients, fed
by appointments' events), and the append-only audit log.

Audit rows are only ever inserted here; the database itself refuses UPDATE and DELETE (migration 0003).
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, exists, select, text, update
from sqlalchemy.dialects.postgresql import insert

from services.verification.models import clinic_patients
from shared.unit_of_work import UnitOfWork

# Serialises everything touching one account's validations: a clerk's confirmation and an invalidating
# event cannot interleave (e.g. an association checked against an identity being invalidated).
ACCOUNT_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")

END_CURRENT_IDENTITY = text("""
UPDATE identity_validations SET invalidated_at = :now, invalidation_reason = :reason
WHERE account_id = :account_id AND invalidated_at IS NULL
RETURNING id, establishment_id
""")

INSERT_IDENTITY = text("""
INSERT INTO identity_validations (id, account_id, establishment_id, staff_id, fingerprint, nam_hmac, validated_at)
VALUES (:id, :account_id, :establishment_id, :staff_id, :fingerprint, :nam_hmac, :now)
""")

END_IDENTITY = text("""
UPDATE identity_validations SET invalidated_at = :now, invalidation_reason = :reason
WHERE id = :id AND account_id = :account_id AND invalidated_at IS NULL
RETURNING id, establishment_id
""")

CURRENT_IDENTITY = text("""
SELECT id FROM identity_validations WHERE account_id = :account_id AND invalidated_at IS NULL LIMIT 1
""")

# person_ids NULL: every association of the holder.
END_CURRENT_ASSOCIATIONS = text("""
UPDATE association_validations SET revoked_at = :now, revoke_reason = :reason
WHERE account_id = :account_id AND revoked_at IS NULL
  AND (CAST(:person_ids AS uuid[]) IS NULL OR person_id = ANY(CAST(:person_ids AS uuid[])))
RETURNING id, person_id, establishment_id
""")

CURRENT_ASSOCIATION = text("""
SELECT id FROM association_validations
WHERE account_id = :account_id AND person_id = :person_id AND revoked_at IS NULL LIMIT 1
""")

INSERT_ASSOCIATION = text("""
INSERT INTO association_validations (id, account_id, person_id, establishment_id, staff_id, validated_at)
VALUES (:id, :account_id, :person_id, :establishment_id, :staff_id, :now)
""")

ERASE_DIGESTS = text("""
UPDATE identity_validations SET fingerprint = NULL, nam_hmac = NULL WHERE account_id = :account_id
""")

IDENTITIES_VALIDATED = text("""
SELECT DISTINCT account_id FROM identity_validations
WHERE account_id = ANY(:ids) AND invalidated_at IS NULL
""")

ASSOCIATIONS_VALIDATED = text("""
SELECT DISTINCT account_id, person_id FROM association_validations
WHERE account_id = ANY(:ids) AND revoked_at IS NULL
ORDER BY account_id, person_id
""")

INSERT_AUDIT_ENTRY = text("""
INSERT INTO audit_log (at, actor, actor_role, establishment_id, action, account_id, person_id, details)
VALUES (:at, :actor, :actor_role, :establishment_id, :action, :account_id, :person_id, CAST(:details AS jsonb))
""")

AUDIT_ENTRIES_OF_ESTABLISHMENT = text("""
SELECT id, at, actor, actor_role, establishment_id, action, account_id, person_id, details
FROM audit_log WHERE establishment_id = :establishment_id
ORDER BY id DESC LIMIT :limit
""")

# The condition is audit_log_for_operators' (models.py), so the index serves it.
AUDIT_ENTRIES_FOR_OPERATORS = text("""
SELECT id, at, actor, actor_role, establishment_id, action, account_id, person_id, details
FROM audit_log WHERE actor_role = 'operator' OR establishment_id IS NULL
ORDER BY id DESC LIMIT :limit
""")


@dataclass(frozen=True)
class EndedIdentity:
    id: uuid.UUID
    establishment_id: uuid.UUID


@dataclass(frozen=True)
class EndedAssociation:
    id: uuid.UUID
    person_id: uuid.UUID
    establishment_id: uuid.UUID


@dataclass(frozen=True)
class NewIdentity:
    id: uuid.UUID
    account_id: uuid.UUID
    establishment_id: uuid.UUID
    staff_id: uuid.UUID
    fingerprint: str
    nam_hmac: str | None
    now: datetime


@dataclass(frozen=True)
class NewAssociation:
    id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    establishment_id: uuid.UUID
    staff_id: uuid.UUID
    now: datetime


@dataclass(frozen=True)
class ValidatedAssociation:
    account_id: uuid.UUID
    person_id: uuid.UUID


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: str
    establishment_id: uuid.UUID | None
    action: str
    account_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    # Ids and reasons only, never personal data.
    details: dict[str, str] | None = None
    # In which capacity the actor acted (clerk, manager, operator), when known.
    actor_role: str | None = None


@dataclass(frozen=True)
class AuditLogEntry:
    id: int
    at: datetime
    actor: str
    actor_role: str | None
    establishment_id: uuid.UUID | None
    action: str
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    details: dict[str, str]


@dataclass(frozen=True)
class Appointment:
    """Who has an appointment where, from appointments' events."""

    appointment_id: uuid.UUID
    establishment_id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    starts_at: datetime


async def lock_account(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    await uow.session.execute(ACCOUNT_LOCK, {"key": f"verification:validations:{account_id}"})


async def end_current_identity(
    uow: UnitOfWork, account_id: uuid.UUID, reason: str, now: datetime
) -> list[EndedIdentity]:
    params = {"account_id": account_id, "now": now, "reason": reason}
    return [EndedIdentity(**row._mapping) for row in await uow.session.execute(END_CURRENT_IDENTITY, params)]


async def end_identity(
    uow: UnitOfWork, validation_id: uuid.UUID, account_id: uuid.UUID, reason: str, now: datetime
) -> EndedIdentity | None:
    """Ends that validation if it is still the account's current one."""
    params = {"id": validation_id, "account_id": account_id, "now": now, "reason": reason}
    row = (await uow.session.execute(END_IDENTITY, params)).first()
    return None if row is None else EndedIdentity(**row._mapping)


async def insert_identity(uow: UnitOfWork, validation: NewIdentity) -> None:
    await uow.session.execute(INSERT_IDENTITY, vars(validation))


async def identity_validated(uow: UnitOfWork, account_id: uuid.UUID) -> bool:
    return (await uow.session.execute(CURRENT_IDENTITY, {"account_id": account_id})).first() is not None


async def end_current_associations(
    uow: UnitOfWork, account_id: uuid.UUID, person_ids: list[uuid.UUID] | None, reason: str, now: datetime
) -> list[EndedAssociation]:
    """`person_ids` None: every association of the holder."""
    params = {"account_id": account_id, "person_ids": person_ids, "now": now, "reason": reason}
    return [EndedAssociation(**row._mapping) for row in await uow.session.execute(END_CURRENT_ASSOCIATIONS, params)]


async def association_validated(uow: UnitOfWork, account_id: uuid.UUID, person_id: uuid.UUID) -> bool:
    row = await uow.session.execute(CURRENT_ASSOCIATION, {"account_id": account_id, "person_id": person_id})
    return row.first() is not None


async def insert_association(uow: UnitOfWork, validation: NewAssociation) -> None:
    await uow.session.execute(INSERT_ASSOCIATION, vars(validation))


async def erase_digests(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    await uow.session.execute(ERASE_DIGESTS, {"account_id": account_id})


async def identities_validated(uow: UnitOfWork, account_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return set((await uow.session.execute(IDENTITIES_VALIDATED, {"ids": account_ids})).scalars().all())


async def associations_validated(uow: UnitOfWork, account_ids: list[uuid.UUID]) -> list[ValidatedAssociation]:
    rows = await uow.session.execute(ASSOCIATIONS_VALIDATED, {"ids": account_ids})
    return [ValidatedAssociation(**row._mapping) for row in rows]


async def record_audit(uow: UnitOfWork, entry: AuditRow) -> None:
    """Written in the caller's transaction: an action and its audit row commit (or not) together."""
    await uow.session.execute(
        INSERT_AUDIT_ENTRY,
        {
            "at": entry.at,
            "actor": entry.actor,
            "actor_role": entry.actor_role,
            "establishment_id": entry.establishment_id,
            "action": entry.action,
            "account_id": entry.account_id,
            "person_id": entry.person_id,
            "details": json.dumps(entry.details or {}),
        },
    )


async def audit_entries_of(uow: UnitOfWork, establishment_id: uuid.UUID, limit: int) -> list[AuditLogEntry]:
    rows = await uow.session.execute(
        AUDIT_ENTRIES_OF_ESTABLISHMENT, {"establishment_id": establishment_id, "limit": limit}
    )
    return [AuditLogEntry(**row._mapping) for row in rows]


async def audit_entries_for_operators(uow: UnitOfWork, limit: int) -> list[AuditLogEntry]:
    """Operators' actions, and entries of no establishment (a factor reset of a person without a role)."""
    rows = await uow.session.execute(AUDIT_ENTRIES_FOR_OPERATORS, {"limit": limit})
    return [AuditLogEntry(**row._mapping) for row in rows]


async def add_appointment(uow: UnitOfWork, appointment: Appointment) -> None:
    """Once per appointment: a redelivered booking changes nothing."""
    await uow.session.execute(
        insert(clinic_patients)
        .values(**vars(appointment))
        .on_conflict_do_nothing(index_elements=[clinic_patients.c.appointment_id])
    )


async def move_appointment(
    uow: UnitOfWork, appointment_id: uuid.UUID, establishment_id: uuid.UUID, starts_at: datetime
) -> None:
    await uow.session.execute(
        update(clinic_patients)
        .where(clinic_patients.c.appointment_id == appointment_id)
        .values(establishment_id=establishment_id, starts_at=starts_at)
    )


async def remove_appointment(uow: UnitOfWork, appointment_id: uuid.UUID) -> None:
    await uow.session.execute(delete(clinic_patients).where(clinic_patients.c.appointment_id == appointment_id))


async def forget_patients(uow: UnitOfWork, account_id: uuid.UUID, person_ids: list[uuid.UUID] | None) -> None:
    """`person_ids` None: every person of the account."""
    condition = clinic_patients.c.account_id == account_id
    if person_ids is not None:
        condition = and_(condition, clinic_patients.c.person_id.in_(person_ids))
    await uow.session.execute(delete(clinic_patients).where(condition))


async def is_patient(
    uow: UnitOfWork, establishment_id: uuid.UUID, account_id: uuid.UUID, person_id: uuid.UUID | None
) -> bool:
    """An appointment at the establishment booked from the account (for `person_id` when given)."""
    condition = and_(clinic_patients.c.establishment_id == establishment_id, clinic_patients.c.account_id == account_id)
    if person_id is not None:
        condition = and_(condition, clinic_patients.c.person_id == person_id)
    return bool((await uow.session.execute(select(exists().where(condition)))).scalar())


async def patients_among(uow: UnitOfWork, establishment_id: uuid.UUID, account_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of the accounts with an appointment at the establishment."""
    return set(
        (
            await uow.session.execute(
                select(clinic_patients.c.account_id)
                .where(
                    clinic_patients.c.establishment_id == establishment_id,
                    clinic_patients.c.account_id.in_(set(account_ids)),
                )
                .distinct()
            )
        ).scalars()
    )
