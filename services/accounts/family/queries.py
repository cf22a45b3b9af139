"""Every statement about dependants, the validated ones shared between parents, and the booking form."""

import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.accounts.family.rules import DependantIdentity
from services.accounts.models import accounts, dependants, validated_dependants
from shared.db import columns_of


@dataclass(frozen=True)
class Dependant:
    id: uuid.UUID
    account_id: uuid.UUID
    identity: DependantIdentity
    created_at: datetime


def _dependant(row: Row[tuple[object, ...]]) -> Dependant:
    return Dependant(
        id=row.id,
        account_id=row.account_id,
        identity=DependantIdentity(
            first_name=row.first_name,
            last_name=row.last_name,
            birth_date=row.birth_date,
            sex=row.sex,
            nam_encrypted=row.nam_encrypted,
            nam_hmac=row.nam_hmac,
        ),
        created_at=row.created_at,
    )


async def dependants_of(session: AsyncSession, account_id: uuid.UUID) -> list[Dependant]:
    rows = await session.execute(
        select(dependants).where(dependants.c.account_id == account_id).order_by(dependants.c.created_at)
    )
    return [_dependant(row) for row in rows]


async def account_exists(session: AsyncSession, account_id: uuid.UUID) -> bool:
    return (await session.execute(select(accounts.c.id).where(accounts.c.id == account_id))).first() is not None


async def add_dependant(
    session: AsyncSession, dependant_id: uuid.UUID, account_id: uuid.UUID, identity: DependantIdentity
) -> Dependant:
    row = (
        await session.execute(
            insert(dependants).values(id=dependant_id, account_id=account_id, **asdict(identity)).returning(dependants)
        )
    ).one()
    return _dependant(row)


async def dependant(session: AsyncSession, account_id: uuid.UUID, dependant_id: uuid.UUID) -> Dependant | None:
    row = (
        await session.execute(
            select(dependants).where(dependants.c.id == dependant_id, dependants.c.account_id == account_id)
        )
    ).first()
    return _dependant(row) if row is not None else None


async def update_dependant(session: AsyncSession, dependant_id: uuid.UUID, identity: DependantIdentity) -> Dependant:
    row = (
        await session.execute(
            update(dependants).where(dependants.c.id == dependant_id).values(**asdict(identity)).returning(dependants)
        )
    ).one()
    return _dependant(row)


async def remove_dependant(session: AsyncSession, account_id: uuid.UUID, dependant_id: uuid.UUID) -> bool:
    removed = await session.execute(
        delete(dependants)
        .where(dependants.c.id == dependant_id, dependants.c.account_id == account_id)
        .returning(dependants.c.id)
    )
    return removed.first() is not None


@dataclass(frozen=True)
class BookingHolder:
    """The account holder as a booking made from the account needs them."""

    id: uuid.UUID
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


async def booking_holder(session: AsyncSession, account_id: uuid.UUID) -> BookingHolder | None:
    row = (
        await session.execute(select(*columns_of(BookingHolder, accounts)).where(accounts.c.id == account_id))
    ).first()
    return BookingHolder(**row._mapping) if row is not None else None


@dataclass(frozen=True)
class DependantNam:
    nam_hmac: str | None
    birth_date: date


async def dependant_nam(session: AsyncSession, account_id: uuid.UUID, person_id: uuid.UUID) -> DependantNam | None:
    row = (
        await session.execute(
            select(dependants.c.nam_hmac, dependants.c.birth_date).where(
                dependants.c.id == person_id, dependants.c.account_id == account_id
            )
        )
    ).first()
    return DependantNam(**row._mapping) if row is not None else None


async def record_validated(session: AsyncSession, person_id: uuid.UUID, account_id: uuid.UUID, nam_hmac: str) -> None:
    await session.execute(
        pg_insert(validated_dependants)
        .values(person_id=person_id, account_id=account_id, nam_hmac=nam_hmac)
        .on_conflict_do_update(index_elements=["person_id"], set_={"nam_hmac": nam_hmac})
    )


async def forget_validated(session: AsyncSession, person_id: uuid.UUID) -> str | None:
    """The NAM HMAC of the validated dependant forgotten, if there was one."""
    removed: str | None = (
        await session.execute(
            delete(validated_dependants)
            .where(validated_dependants.c.person_id == person_id)
            .returning(validated_dependants.c.nam_hmac)
        )
    ).scalar()
    return removed


@dataclass(frozen=True)
class ValidatedDependant:
    account_id: uuid.UUID
    person_id: uuid.UUID


async def validated_sharing(session: AsyncSession, nam_hmac: str) -> list[ValidatedDependant]:
    rows = await session.execute(
        select(validated_dependants.c.account_id, validated_dependants.c.person_id)
        .where(validated_dependants.c.nam_hmac == nam_hmac)
        .order_by(validated_dependants.c.person_id)
    )
    return [ValidatedDependant(**row._mapping) for row in rows]


async def dependant_first_name(session: AsyncSession, account_id: uuid.UUID, person_id: uuid.UUID) -> str | None:
    first_name: str | None = (
        await session.execute(
            select(dependants.c.first_name).where(dependants.c.id == person_id, dependants.c.account_id == account_id)
        )
    ).scalar()
    return first_name
