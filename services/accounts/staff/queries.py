"""Every statement of staff administration: members and their roles per establishment, invitations, factor
resets."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.accounts.models import (
    accounts,
    staff_factor_challenges,
    staff_invitations,
    staff_recovery_codes,
    staff_roles,
    staff_users,
)
from services.accounts.staff.rules import InvitationState, StaffRole
from shared.staff import MANAGER


@dataclass(frozen=True)
class Member:
    staff_id: uuid.UUID
    name: str
    email: str
    role: StaffRole
    disabled: bool
    factor_enrolled: bool
    granted_at: datetime


_MEMBERS = (
    select(
        staff_users.c.id.label("staff_id"),
        staff_users.c.name,
        staff_users.c.email,
        staff_roles.c.role,
        staff_roles.c.disabled_at.is_not(None).label("disabled"),
        staff_users.c.totp_enrolled_at.is_not(None).label("factor_enrolled"),
        staff_roles.c.granted_at,
    )
    .select_from(staff_roles.join(staff_users, staff_users.c.id == staff_roles.c.staff_id))
    .order_by(staff_users.c.name, staff_users.c.email)
)


async def members(session: AsyncSession, establishment_id: uuid.UUID) -> list[Member]:
    rows = await session.execute(_MEMBERS.where(staff_roles.c.establishment_id == establishment_id))
    return [Member(**row._mapping) for row in rows]


async def member(session: AsyncSession, establishment_id: uuid.UUID, staff_id: uuid.UUID) -> Member | None:
    row = (
        await session.execute(
            _MEMBERS.where(staff_roles.c.establishment_id == establishment_id, staff_roles.c.staff_id == staff_id)
        )
    ).first()
    return Member(**row._mapping) if row is not None else None


async def active_role(session: AsyncSession, staff_id: uuid.UUID, establishment_id: uuid.UUID) -> str | None:
    role: str | None = await session.scalar(
        select(staff_roles.c.role).where(
            staff_roles.c.staff_id == staff_id,
            staff_roles.c.establishment_id == establishment_id,
            staff_roles.c.disabled_at.is_(None),
        )
    )
    return role


async def holds_active_role(session: AsyncSession, email: str, establishment_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(staff_roles.c.staff_id)
        .join(staff_users, staff_users.c.id == staff_roles.c.staff_id)
        .where(
            func.lower(staff_users.c.email) == email.lower(),
            staff_roles.c.establishment_id == establishment_id,
            staff_roles.c.disabled_at.is_(None),
        )
    )
    return found is not None


async def lock_active_managers(session: AsyncSession, establishment_id: uuid.UUID) -> list[uuid.UUID]:
    """The establishment's active managers, locked: two managers demoting or disabling each other at once are
    taken one after the other, and the second sees the first's change (a locked row is read again)."""
    rows = await session.execute(
        select(staff_roles.c.staff_id)
        .where(
            staff_roles.c.establishment_id == establishment_id,
            staff_roles.c.role == MANAGER,
            staff_roles.c.disabled_at.is_(None),
        )
        .order_by(staff_roles.c.staff_id)
        .with_for_update()
    )
    return list(rows.scalars())


async def set_role(session: AsyncSession, establishment_id: uuid.UUID, staff_id: uuid.UUID, role: StaffRole) -> None:
    await session.execute(
        update(staff_roles)
        .where(staff_roles.c.establishment_id == establishment_id, staff_roles.c.staff_id == staff_id)
        .values(role=role)
    )


async def set_disabled(session: AsyncSession, establishment_id: uuid.UUID, staff_id: uuid.UUID, disabled: bool) -> bool:
    """True when it changed."""
    changed = await session.execute(
        update(staff_roles)
        .where(
            staff_roles.c.establishment_id == establishment_id,
            staff_roles.c.staff_id == staff_id,
            staff_roles.c.disabled_at.is_(None) if disabled else staff_roles.c.disabled_at.is_not(None),
        )
        .values(disabled_at=text("now()") if disabled else None)
        .returning(staff_roles.c.staff_id)
    )
    return changed.first() is not None


async def grant_role(session: AsyncSession, staff_id: uuid.UUID, establishment_id: uuid.UUID, role: StaffRole) -> None:
    """A new role, or a disabled one given back (with the invited role)."""
    statement = pg_insert(staff_roles).values(staff_id=staff_id, establishment_id=establishment_id, role=role)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[staff_roles.c.staff_id, staff_roles.c.establishment_id],
            set_={"role": role, "disabled_at": None, "granted_at": text("now()")},
        )
    )


@dataclass(frozen=True)
class PendingInvitation:
    id: uuid.UUID
    email: str
    role: StaffRole
    created_at: datetime
    expires_at: datetime


async def pending_invitations(session: AsyncSession, establishment_id: uuid.UUID) -> list[PendingInvitation]:
    rows = await session.execute(
        select(
            staff_invitations.c.id,
            staff_invitations.c.email,
            staff_invitations.c.role,
            staff_invitations.c.created_at,
            staff_invitations.c.expires_at,
        )
        .where(
            staff_invitations.c.establishment_id == establishment_id,
            staff_invitations.c.accepted_at.is_(None),
            staff_invitations.c.revoked_at.is_(None),
            staff_invitations.c.expires_at > func.now(),
        )
        .order_by(staff_invitations.c.created_at)
    )
    return [PendingInvitation(**row._mapping) for row in rows]


async def revoke_pending(session: AsyncSession, email: str, establishment_id: uuid.UUID) -> None:
    await session.execute(
        update(staff_invitations)
        .where(
            func.lower(staff_invitations.c.email) == email.lower(),
            staff_invitations.c.establishment_id == establishment_id,
            staff_invitations.c.accepted_at.is_(None),
            staff_invitations.c.revoked_at.is_(None),
        )
        .values(revoked_at=text("now()"))
    )


@dataclass(frozen=True)
class NewInvitation:
    id: uuid.UUID
    token_hash: str
    email: str
    establishment_id: uuid.UUID
    role: StaffRole
    language: str
    invited_by: uuid.UUID
    expires_at: datetime


async def add_invitation(session: AsyncSession, invitation: NewInvitation) -> datetime:
    """Returns its creation time."""
    created: datetime = await session.scalar(
        insert(staff_invitations)
        .values(
            id=invitation.id,
            token_hash=invitation.token_hash,
            email=invitation.email,
            establishment_id=invitation.establishment_id,
            role=invitation.role,
            language=invitation.language,
            invited_by=invitation.invited_by,
            expires_at=invitation.expires_at,
        )
        .returning(staff_invitations.c.created_at)
    )
    return created


@dataclass(frozen=True)
class Invitation(InvitationState):
    id: uuid.UUID
    email: str
    establishment_id: uuid.UUID
    role: StaffRole
    language: str


async def invitation_by_token(session: AsyncSession, token_hash: str, *, lock: bool = False) -> Invitation | None:
    """`lock`: for accepting it, so that the same link presented twice at once is used once."""
    statement = select(
        staff_invitations.c.id,
        staff_invitations.c.email,
        staff_invitations.c.establishment_id,
        staff_invitations.c.role,
        staff_invitations.c.language,
        staff_invitations.c.expires_at,
        staff_invitations.c.accepted_at,
        staff_invitations.c.revoked_at,
    ).where(staff_invitations.c.token_hash == token_hash)
    row = (await session.execute(statement.with_for_update() if lock else statement)).first()
    return Invitation(**row._mapping) if row is not None else None


async def mark_accepted(session: AsyncSession, invitation_id: uuid.UUID) -> None:
    await session.execute(
        update(staff_invitations).where(staff_invitations.c.id == invitation_id).values(accepted_at=text("now()"))
    )


async def staff_id_by_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(
        select(staff_users.c.id).where(func.lower(staff_users.c.email) == email.lower())
    )
    return found


@dataclass(frozen=True)
class ExistingStaff:
    id: uuid.UUID
    operator: bool


async def staff_by_email(session: AsyncSession, email: str) -> ExistingStaff | None:
    row = (
        await session.execute(
            select(staff_users.c.id, staff_users.c.operator).where(func.lower(staff_users.c.email) == email.lower())
        )
    ).first()
    return ExistingStaff(**row._mapping) if row is not None else None


async def is_citizen_email(session: AsyncSession, email: str) -> bool:
    """Any citizen account with this address, pending ones included: they become active with it."""
    found = await session.scalar(select(accounts.c.id).where(func.lower(accounts.c.email) == email.lower()).limit(1))
    return found is not None


@dataclass(frozen=True)
class NewStaffUser:
    id: uuid.UUID
    email: str
    name: str
    password_hash: str
    language: str


async def add_staff_user(session: AsyncSession, person: NewStaffUser) -> uuid.UUID:
    """The person's id: the new one, or the existing one when the same address became staff meanwhile."""
    added: uuid.UUID | None = await session.scalar(
        pg_insert(staff_users)
        .values(
            id=person.id,
            email=person.email,
            name=person.name,
            password_hash=person.password_hash,
            language=person.language,
        )
        .on_conflict_do_nothing(index_elements=[func.lower(staff_users.c.email)])
        .returning(staff_users.c.id)
    )
    if added is not None:
        return added
    existing = await staff_id_by_email(session, person.email)
    if existing is None:
        raise LookupError("the staff address that conflicted is gone")
    return existing


@dataclass(frozen=True)
class HeldRole:
    establishment_id: uuid.UUID
    role: StaffRole
    disabled: bool


@dataclass(frozen=True)
class StaffPerson:
    staff_id: uuid.UUID
    name: str
    email: str
    operator: bool
    factor_enrolled: bool
    roles: tuple[HeldRole, ...]


async def staff_people(session: AsyncSession, staff_id: uuid.UUID | None = None) -> list[StaffPerson]:
    """Everyone who may sign in to the console (or one of them), with their roles."""
    people = select(
        staff_users.c.id,
        staff_users.c.name,
        staff_users.c.email,
        staff_users.c.operator,
        staff_users.c.totp_enrolled_at.is_not(None).label("factor_enrolled"),
    ).order_by(staff_users.c.name, staff_users.c.email)
    roles = select(
        staff_roles.c.staff_id,
        staff_roles.c.establishment_id,
        staff_roles.c.role,
        staff_roles.c.disabled_at.is_not(None).label("disabled"),
    ).order_by(staff_roles.c.granted_at)
    if staff_id is not None:
        people = people.where(staff_users.c.id == staff_id)
        roles = roles.where(staff_roles.c.staff_id == staff_id)
    held: dict[uuid.UUID, list[HeldRole]] = {}
    for row in await session.execute(roles):
        held.setdefault(row.staff_id, []).append(HeldRole(row.establishment_id, row.role, row.disabled))
    return [
        StaffPerson(row.id, row.name, row.email, row.operator, row.factor_enrolled, tuple(held.get(row.id, [])))
        for row in await session.execute(people)
    ]


async def operator_id_by_email(session: AsyncSession, email: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(
        select(staff_users.c.id).where(func.lower(staff_users.c.email) == email.lower(), staff_users.c.operator)
    )
    return found


async def clear_factor(session: AsyncSession, staff_id: uuid.UUID) -> bool:
    """The secret, the recovery codes and any sign-in half done: the next sign-in enrols anew. False: nobody."""
    cleared = await session.execute(
        update(staff_users)
        .where(staff_users.c.id == staff_id)
        .values(totp_secret_encrypted=None, totp_enrolled_at=None, totp_last_step=None)
        .returning(staff_users.c.id)
    )
    if cleared.first() is None:
        return False
    await session.execute(delete(staff_recovery_codes).where(staff_recovery_codes.c.staff_id == staff_id))
    await session.execute(delete(staff_factor_challenges).where(staff_factor_challenges.c.staff_id == staff_id))
    return True
