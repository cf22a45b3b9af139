"""Every statement of the holder's own account: reading it, changing it, and deleting it with what it left."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.accounts.models import (
    accounts,
    decoy_challenges,
    dependants,
    login_failures,
    pending_changes,
    session_families,
)
from shared.contracts.accounts import Language
from shared.db import columns_of


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    nam_encrypted: str | None
    email: str | None
    phone: str | None
    language: Language
    notify_email: bool
    notify_sms: bool
    address: str | None
    city: str | None
    postal_code: str | None
    password_hash: str


async def account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    row = (await session.execute(select(*columns_of(Account, accounts)).where(accounts.c.id == account_id))).first()
    return Account(**row._mapping) if row is not None else None


async def update_account(session: AsyncSession, account_id: uuid.UUID, changes: Mapping[str, object]) -> None:
    """`changes`: the columns of an UpdateProfileRequest, by name."""
    await session.execute(update(accounts).where(accounts.c.id == account_id).values(**changes))


async def delete_dependants(session: AsyncSession, account_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        (
            await session.execute(
                delete(dependants).where(dependants.c.account_id == account_id).returning(dependants.c.id)
            )
        ).scalars()
    )


async def delete_leftovers(session: AsyncSession, account_id: uuid.UUID, contact_hmacs: list[str]) -> None:
    """Its pending changes, and the decoys on its id or on its contacts."""
    await session.execute(delete(pending_changes).where(pending_changes.c.account_id == account_id))
    await session.execute(
        delete(decoy_challenges).where(
            or_(decoy_challenges.c.account_id == account_id, decoy_challenges.c.destination_hmac.in_(contact_hmacs))
        )
    )


async def delete_session_history(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Its sessions' families (ended by then) and its login count."""
    await session.execute(delete(session_families).where(session_families.c.subject_id == account_id))
    await session.execute(delete(login_failures).where(login_failures.c.key == f"account:{account_id}"))


async def delete_account(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(delete(accounts).where(accounts.c.id == account_id))
