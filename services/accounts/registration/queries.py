"""Every statement of registration and of the changes waiting for a code: pending changes, decoy challenges, and
the retention of both."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import delete, func, insert, or_, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from services.accounts.models import accounts, decoy_challenges, pending_changes, staff_users
from shared.contracts.accounts import Channel, CodePurpose, Language


async def staff_email(session: AsyncSession, email: str) -> str | None:
    """The staff member's address as recorded, when `email` is one in any case."""
    found: str | None = (
        await session.execute(select(staff_users.c.email).where(func.lower(staff_users.c.email) == email.lower()))
    ).scalar()
    return found


@dataclass(frozen=True)
class ContactOwner:
    id: uuid.UUID
    status: str


async def accounts_with_contact(session: AsyncSession, email: str | None, phone: str | None) -> list[ContactOwner]:
    # Only the contacts given: `column == None` would match every account without one.
    same_contact = []
    if email:
        same_contact.append(func.lower(accounts.c.email) == email.lower())
    if phone:
        same_contact.append(accounts.c.phone == phone)
    rows = await session.execute(select(accounts.c.id, accounts.c.status).where(or_(*same_contact)))
    return [ContactOwner(**row._mapping) for row in rows]


async def delete_accounts(session: AsyncSession, account_ids: list[uuid.UUID]) -> None:
    await session.execute(delete(accounts).where(accounts.c.id.in_(account_ids)))


@dataclass(frozen=True)
class NewAccount:
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    nam_encrypted: str | None
    nam_hmac: str | None
    email: str | None
    phone: str | None
    language: str
    password_hash: str


async def add_pending_account(session: AsyncSession, account: NewAccount) -> None:
    """Pending until the code sent to its contact is entered."""
    await session.execute(
        insert(accounts).values(
            id=account.id,
            status="pending",
            first_name=account.first_name,
            last_name=account.last_name,
            birth_date=account.birth_date,
            sex=account.sex,
            nam_encrypted=account.nam_encrypted,
            nam_hmac=account.nam_hmac,
            email=account.email,
            phone=account.phone,
            language=account.language,
            password_hash=account.password_hash,
            notify_email=bool(account.email),
            notify_sms=not account.email,
        )
    )


async def add_pending_change(
    session: AsyncSession,
    challenge_id: uuid.UUID,
    account_id: uuid.UUID,
    purpose: str,
    channel: str,
    destination: str,
    new_value: str | None = None,
) -> None:
    await session.execute(
        insert(pending_changes).values(
            challenge_id=challenge_id,
            account_id=account_id,
            purpose=purpose,
            channel=channel,
            destination=destination,
            new_value=new_value,
        )
    )


@dataclass(frozen=True)
class PendingResend:
    account_id: uuid.UUID
    purpose: CodePurpose
    channel: Channel
    destination: str
    language: Language
    new_code_from: datetime | None


async def pending_to_resend(
    session: AsyncSession, challenge_id: uuid.UUID, account_id: uuid.UUID | None
) -> PendingResend | None:
    query = (
        select(
            pending_changes.c.account_id,
            pending_changes.c.purpose,
            pending_changes.c.channel,
            pending_changes.c.destination,
            accounts.c.language,
            pending_changes.c.new_code_from,
        )
        .join(accounts)
        .where(pending_changes.c.challenge_id == challenge_id)
    )
    if account_id is not None:
        query = query.where(pending_changes.c.account_id == account_id)
    row = (await session.execute(query.with_for_update(of=pending_changes))).first()
    return PendingResend(**row._mapping) if row is not None else None


async def move_pending_change(session: AsyncSession, challenge_id: uuid.UUID, new_id: uuid.UUID) -> None:
    await session.execute(
        update(pending_changes)
        .where(pending_changes.c.challenge_id == challenge_id)
        .values(challenge_id=new_id, new_code_from=None)
    )


@dataclass(frozen=True)
class Decoy:
    account_id: uuid.UUID
    purpose: CodePurpose
    channel: Channel
    destination_encrypted: str
    new_code_from: datetime | None


async def decoy_to_resend(session: AsyncSession, challenge_id: uuid.UUID, account_id: uuid.UUID | None) -> Decoy | None:
    query = select(
        decoy_challenges.c.account_id,
        decoy_challenges.c.purpose,
        decoy_challenges.c.channel,
        decoy_challenges.c.destination_encrypted,
        decoy_challenges.c.new_code_from,
    ).where(decoy_challenges.c.challenge_id == challenge_id)
    if account_id is not None:
        query = query.where(decoy_challenges.c.account_id == account_id)
    row = (await session.execute(query.with_for_update())).first()
    return Decoy(**row._mapping) if row is not None else None


async def move_decoy(session: AsyncSession, challenge_id: uuid.UUID, new_id: uuid.UUID) -> None:
    await session.execute(
        update(decoy_challenges)
        .where(decoy_challenges.c.challenge_id == challenge_id)
        .values(challenge_id=new_id, new_code_from=None)
    )


async def record_code_locked(session: AsyncSession, challenge_id: uuid.UUID, new_code_from: datetime) -> None:
    """On the pending change or the decoy the challenge confirms, whichever it is (neither when resent since)."""
    for table in (pending_changes, decoy_challenges):
        await session.execute(
            update(table).where(table.c.challenge_id == challenge_id).values(new_code_from=new_code_from)
        )


async def add_decoy(
    session: AsyncSession,
    challenge_id: uuid.UUID,
    account_id: uuid.UUID,
    purpose: str,
    channel: str,
    destination_encrypted: str,
    destination_hmac: str,
) -> None:
    await session.execute(
        insert(decoy_challenges).values(
            challenge_id=challenge_id,
            account_id=account_id,
            purpose=purpose,
            channel=channel,
            destination_encrypted=destination_encrypted,
            destination_hmac=destination_hmac,
        )
    )


@dataclass(frozen=True)
class PendingChange:
    account_id: uuid.UUID
    purpose: str
    new_value: str | None


async def pending_change(session: AsyncSession, challenge_id: uuid.UUID) -> PendingChange | None:
    row = (
        await session.execute(
            select(pending_changes.c.account_id, pending_changes.c.purpose, pending_changes.c.new_value)
            .where(pending_changes.c.challenge_id == challenge_id)
            .with_for_update()
        )
    ).first()
    return PendingChange(**row._mapping) if row is not None else None


async def delete_pending_change(session: AsyncSession, challenge_id: uuid.UUID) -> None:
    await session.execute(delete(pending_changes).where(pending_changes.c.challenge_id == challenge_id))


@dataclass(frozen=True)
class AccountContacts:
    id: uuid.UUID
    status: str
    email: str | None
    phone: str | None
    language: Language


_CONTACTS = select(accounts.c.id, accounts.c.status, accounts.c.email, accounts.c.phone, accounts.c.language)


async def account_contacts(session: AsyncSession, account_id: uuid.UUID) -> AccountContacts:
    row = (await session.execute(_CONTACTS.where(accounts.c.id == account_id))).one()
    return AccountContacts(**row._mapping)


async def account_by_identifier(
    session: AsyncSession, kind: Literal["email", "phone"], value: str
) -> AccountContacts | None:
    condition = func.lower(accounts.c.email) == value if kind == "email" else accounts.c.phone == value
    row = (await session.execute(_CONTACTS.where(condition))).first()
    return AccountContacts(**row._mapping) if row is not None else None


async def activate(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(update(accounts).where(accounts.c.id == account_id).values(status="active"))


async def change_email(session: AsyncSession, account_id: uuid.UUID, email: str | None) -> None:
    await session.execute(update(accounts).where(accounts.c.id == account_id).values(email=email, notify_email=True))


async def change_phone(session: AsyncSession, account_id: uuid.UUID, phone: str | None) -> None:
    await session.execute(update(accounts).where(accounts.c.id == account_id).values(phone=phone))


async def change_password_hash(session: AsyncSession, account_id: uuid.UUID, password_hash: str | None) -> None:
    await session.execute(update(accounts).where(accounts.c.id == account_id).values(password_hash=password_hash))


async def change_nam(
    session: AsyncSession, account_id: uuid.UUID, nam_encrypted: str | None, nam_hmac: str | None
) -> None:
    await session.execute(
        update(accounts).where(accounts.c.id == account_id).values(nam_encrypted=nam_encrypted, nam_hmac=nam_hmac)
    )


DELETE_OLD_DECOYS = text("DELETE FROM decoy_challenges WHERE created_at < :before")
DELETE_OLD_PENDING_CHANGES = text("DELETE FROM pending_changes WHERE created_at < :before")
DELETE_FORGOTTEN_FAILURES = text("DELETE FROM login_failures WHERE last_failure_at < :before")


async def delete_expired(session: AsyncSession, challenges_before: datetime, failures_before: datetime) -> int:
    """Deletes what expired; returns how many rows went."""
    deleted = 0
    for statement, before in (
        (DELETE_OLD_DECOYS, challenges_before),
        (DELETE_OLD_PENDING_CHANGES, challenges_before),
        (DELETE_FORGOTTEN_FAILURES, failures_before),
    ):
        result: CursorResult[tuple[()]] = await session.execute(statement, {"before": before})  # type: ignore[assignment]
        deleted += result.rowcount or 0
    return deleted
