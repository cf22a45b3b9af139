"""The verification service's SQL for the citizen's export: codes, clinic validations, requests and the audit rows
naming the account."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.verification.models import (
    association_requests,
    association_validations,
    audit_log,
    challenges,
    identity_validations,
)
from shared.db import columns_of


@dataclass(frozen=True)
class ChallengeRow:
    id: uuid.UUID
    account_id: uuid.UUID
    purpose: str
    channel: str
    status: str
    expires_at: datetime
    used_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class IdentityValidationRow:
    id: uuid.UUID
    account_id: uuid.UUID
    establishment_id: uuid.UUID
    validated_at: datetime
    invalidated_at: datetime | None
    invalidation_reason: str | None


@dataclass(frozen=True)
class AssociationValidationRow:
    id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    establishment_id: uuid.UUID
    validated_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None


@dataclass(frozen=True)
class AssociationRequestRow:
    id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    establishment_id: uuid.UUID
    appointment_id: uuid.UUID
    status: str
    reason: str | None
    requested_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    establishment_id: uuid.UUID | None
    action: str
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    actor_role: str | None


async def challenges_of(session: AsyncSession, account_id: uuid.UUID) -> list[ChallengeRow]:
    statement = (
        select(*columns_of(ChallengeRow, challenges))
        .where(challenges.c.account_id == account_id)
        .order_by(challenges.c.created_at.desc())
    )
    return [ChallengeRow(**row._mapping) for row in (await session.execute(statement)).all()]


async def identity_validations_of(session: AsyncSession, account_id: uuid.UUID) -> list[IdentityValidationRow]:
    statement = (
        select(*columns_of(IdentityValidationRow, identity_validations))
        .where(identity_validations.c.account_id == account_id)
        .order_by(identity_validations.c.validated_at.desc())
    )
    return [IdentityValidationRow(**row._mapping) for row in (await session.execute(statement)).all()]


async def association_validations_of(session: AsyncSession, account_id: uuid.UUID) -> list[AssociationValidationRow]:
    statement = (
        select(*columns_of(AssociationValidationRow, association_validations))
        .where(association_validations.c.account_id == account_id)
        .order_by(association_validations.c.validated_at.desc())
    )
    return [AssociationValidationRow(**row._mapping) for row in (await session.execute(statement)).all()]


async def association_requests_of(session: AsyncSession, account_id: uuid.UUID) -> list[AssociationRequestRow]:
    statement = (
        select(*columns_of(AssociationRequestRow, association_requests))
        .where(association_requests.c.account_id == account_id)
        .order_by(association_requests.c.requested_at.desc())
    )
    return [AssociationRequestRow(**row._mapping) for row in (await session.execute(statement)).all()]


async def audit_rows_of(session: AsyncSession, account_id: uuid.UUID) -> list[AuditRow]:
    statement = (
        select(*columns_of(AuditRow, audit_log))
        .where(audit_log.c.account_id == account_id)
        .order_by(audit_log.c.id.desc())
    )
    return [AuditRow(**row._mapping) for row in (await session.execute(statement)).all()]
