"""Every statement of the NAM link groups and of the holders' contacts for notices."""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.accounts.links.rules import NoticeHolder
from services.accounts.models import account_link_groups, account_links, accounts


@dataclass(frozen=True)
class HolderNam:
    nam_hmac: str | None
    birth_date: date


async def holder_nam(session: AsyncSession, account_id: uuid.UUID) -> HolderNam | None:
    row = (
        await session.execute(select(accounts.c.nam_hmac, accounts.c.birth_date).where(accounts.c.id == account_id))
    ).first()
    return HolderNam(**row._mapping) if row is not None else None


async def lock_accounts_sharing(session: AsyncSession, nam_hmac: str, account_id: uuid.UUID) -> set[uuid.UUID]:
    """Row locks on the accounts in order: two validations of the same NAM at once link one after the other."""
    return set(
        (
            await session.execute(
                select(accounts.c.id)
                .where((accounts.c.nam_hmac == nam_hmac) | (accounts.c.id == account_id))
                .order_by(accounts.c.id)
                .with_for_update()
            )
        ).scalars()
    )


async def groups_of(session: AsyncSession, account_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return set(
        (
            await session.execute(select(account_links.c.group_id).where(account_links.c.account_id.in_(account_ids)))
        ).scalars()
    )


async def members_of(session: AsyncSession, group_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return set(
        (
            await session.execute(select(account_links.c.account_id).where(account_links.c.group_id.in_(group_ids)))
        ).scalars()
    )


async def merge_groups(session: AsyncSession, into: uuid.UUID, others: set[uuid.UUID]) -> None:
    await session.execute(update(account_links).where(account_links.c.group_id.in_(others)).values(group_id=into))
    await session.execute(delete(account_link_groups).where(account_link_groups.c.id.in_(others)))


async def new_group(session: AsyncSession, group_id: uuid.UUID) -> None:
    await session.execute(insert(account_link_groups).values(id=group_id))


async def join_group(session: AsyncSession, group_id: uuid.UUID, account_ids: list[uuid.UUID]) -> None:
    await session.execute(
        pg_insert(account_links)
        .values([{"account_id": account_id, "group_id": group_id} for account_id in account_ids])
        .on_conflict_do_update(index_elements=[account_links.c.account_id], set_={"group_id": group_id})
    )


async def leave_group(session: AsyncSession, account_id: uuid.UUID) -> uuid.UUID | None:
    """The group the account left, if it was in one."""
    group_id: uuid.UUID | None = (
        await session.execute(
            delete(account_links).where(account_links.c.account_id == account_id).returning(account_links.c.group_id)
        )
    ).scalar()
    return group_id


async def lock_members(session: AsyncSession, group_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        (
            await session.execute(
                select(account_links.c.account_id)
                .where(account_links.c.group_id == group_id)
                .order_by(account_links.c.account_id)
                .with_for_update()
            )
        ).scalars()
    )


async def delete_group(session: AsyncSession, group_id: uuid.UUID) -> None:
    await session.execute(delete(account_link_groups).where(account_link_groups.c.id == group_id))


async def linked_account_ids(session: AsyncSession, account_id: uuid.UUID) -> list[uuid.UUID]:
    group = select(account_links.c.group_id).where(account_links.c.account_id == account_id).scalar_subquery()
    rows = await session.execute(
        select(account_links.c.account_id)
        .where(account_links.c.group_id == group, account_links.c.account_id != account_id)
        .order_by(account_links.c.account_id)
    )
    return list(rows.scalars())


async def notice_holders(session: AsyncSession, account_ids: list[uuid.UUID]) -> list[NoticeHolder]:
    holders = await session.execute(
        select(accounts.c.id, accounts.c.email, accounts.c.phone, accounts.c.language).where(
            accounts.c.id.in_(account_ids)
        )
    )
    return [NoticeHolder(**holder._mapping) for holder in holders]
