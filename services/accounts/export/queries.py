"""The accounts service's SQL for the citizen's export: the account, its family, links, sessions and changes."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.accounts.models import (
    account_link_groups,
    account_links,
    accounts,
    dependants,
    pending_changes,
    session_families,
    validated_dependants,
)
from shared.db import columns_of


@dataclass(frozen=True)
class AccountRow:
    id: uuid.UUID
    status: str
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    nam_encrypted: str | None
    email: str | None
    phone: str | None
    language: str
    notify_email: bool
    notify_sms: bool
    address: str | None
    city: str | None
    postal_code: str | None
    created_at: datetime


@dataclass(frozen=True)
class DependantRow:
    id: uuid.UUID
    account_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    nam_encrypted: str | None
    created_at: datetime


@dataclass(frozen=True)
class PendingChangeRow:
    challenge_id: uuid.UUID
    account_id: uuid.UUID
    purpose: str
    channel: str
    destination: str
    created_at: datetime


@dataclass(frozen=True)
class SessionRow:
    id: uuid.UUID
    subject_id: uuid.UUID
    audience: str
    started_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class LinkRow:
    group_id: uuid.UUID
    created_at: datetime
    account_id: uuid.UUID


@dataclass(frozen=True)
class ValidatedDependantRow:
    person_id: uuid.UUID
    account_id: uuid.UUID


async def account(session: AsyncSession, account_id: uuid.UUID) -> AccountRow | None:
    row = (await session.execute(select(*columns_of(AccountRow, accounts)).where(accounts.c.id == account_id))).first()
    return AccountRow(**row._mapping) if row is not None else None


async def dependants_of(session: AsyncSession, account_id: uuid.UUID) -> list[DependantRow]:
    statement = (
        select(*columns_of(DependantRow, dependants))
        .where(dependants.c.account_id == account_id)
        .order_by(dependants.c.created_at, dependants.c.id)
    )
    return [DependantRow(**row._mapping) for row in (await session.execute(statement)).all()]


async def pending_changes_of(session: AsyncSession, account_id: uuid.UUID) -> list[PendingChangeRow]:
    statement = (
        select(*columns_of(PendingChangeRow, pending_changes))
        .where(pending_changes.c.account_id == account_id)
        .order_by(pending_changes.c.created_at)
    )
    return [PendingChangeRow(**row._mapping) for row in (await session.execute(statement)).all()]


async def sessions_of(session: AsyncSession, account_id: uuid.UUID) -> list[SessionRow]:
    statement = (
        select(*columns_of(SessionRow, session_families))
        .where(session_families.c.subject_id == account_id, session_families.c.audience == "citizen")
        .order_by(session_families.c.started_at.desc())
    )
    return [SessionRow(**row._mapping) for row in (await session.execute(statement)).all()]


async def link_group_of(session: AsyncSession, account_id: uuid.UUID) -> list[LinkRow]:
    """Every account of the caller's NAM-linked group (none when it is in no group), the caller's included."""
    mine = select(account_links.c.group_id).where(account_links.c.account_id == account_id).scalar_subquery()
    statement = (
        select(account_link_groups.c.id.label("group_id"), account_link_groups.c.created_at, account_links.c.account_id)
        .join(account_links, account_links.c.group_id == account_link_groups.c.id)
        .where(account_link_groups.c.id == mine)
        .order_by(account_links.c.account_id)
    )
    return [LinkRow(**row._mapping) for row in (await session.execute(statement)).all()]


async def validated_dependants_of(session: AsyncSession, account_id: uuid.UUID) -> list[ValidatedDependantRow]:
    statement = (
        select(*columns_of(ValidatedDependantRow, validated_dependants))
        .where(validated_dependants.c.account_id == account_id)
        .order_by(validated_dependants.c.person_id)
    )
    return [ValidatedDependantRow(**row._mapping) for row in (await session.execute(statement)).all()]
