"""Every statement of signing in and of sessions.

The login hot path runs on a pooled driver connection: a few short statements, no session.

argon2 is meant to be the cost of a login; measured with py-spy under load, the event loop spent about
4 ms per login in SQLAlchemy sessions around nine round trips (two BEGINs, a ROLLBACK, a COMMIT, five
statements), CPU taken from the hashing threads on a small machine.

Every try is reserved before the password is hashed: the counters of the caller's address and of the
account (or of the identifier, when it names no account) are incremented in one short transaction that
refuses, and changes nothing, when either is over its limit. Reading the counts and then hashing let
59 of 100 simultaneous wrong passwords be checked; an upsert takes the row's lock, so simultaneous tries
are counted one after the other and at most the free ones reach argon2. A success gives the address its
try back and clears the account's count.
"""

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

import asyncpg
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.accounts.models import (
    accounts,
    refresh_tokens,
    session_families,
    session_revocations,
    staff_factor_challenges,
    staff_recovery_codes,
    staff_roles,
    staff_users,
)
from services.accounts.sessions.rules import HeldRole, Limit, NewSession, login_delay
from shared.unit_of_work import UnitOfWork

CITIZEN_BY_EMAIL = "SELECT id, status, password_hash FROM accounts WHERE lower(email) = $1"
CITIZEN_BY_PHONE = "SELECT id, status, password_hash FROM accounts WHERE phone = $1"
STAFF_BY_EMAIL = "SELECT id, password_hash FROM staff_users WHERE lower(email) = $1"

# One more try on `key`, or no row when the key is over its limit (then nothing changes: hammering a
# refused account does not push its wait further). A count not touched for `memory` starts again at 1.
# The delay doubles from 2 s per try beyond the free ones, capped at 15 minutes (rules.login_delay).
RESERVE = """
INSERT INTO login_failures AS f (key, failures, last_failure_at) VALUES ($1, 1, now())
ON CONFLICT (key) DO UPDATE SET
  failures = CASE WHEN f.last_failure_at <= now() - $3::interval THEN 1 ELSE f.failures + 1 END,
  last_failure_at = now()
WHERE f.last_failure_at <= now() - $3::interval
   OR f.failures < $2
   OR f.last_failure_at + make_interval(secs => least(power(2, least(f.failures - $2 + 1, 10)), 900)) <= now()
RETURNING f.failures
"""
FAILURES = "SELECT key, failures, last_failure_at FROM login_failures WHERE key = ANY($1::text[])"
# Success: the staff member's count is cleared and the address gets its reserved try back.
RELEASED = """
WITH cleared AS (DELETE FROM login_failures WHERE key = $1)
UPDATE login_failures SET failures = failures - 1 WHERE key = $2 AND failures > 0
"""
CLEARED = "DELETE FROM login_failures WHERE key = $1"
# A right code already used (not a guess): the try reserved for it given back.
GIVEN_BACK = "UPDATE login_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0"
# A citizen's: the same, and the refresh token stored, together.
SUCCEEDED = """
WITH cleared AS (DELETE FROM login_failures WHERE key = $1),
     refunded AS (UPDATE login_failures SET failures = failures - 1 WHERE key = $6 AND failures > 0),
     family AS (INSERT INTO session_families (id, subject_id, audience, started_at) VALUES ($7, $3, 'citizen', $8))
INSERT INTO refresh_tokens (id, subject_id, audience, token_hash, expires_at, family_id)
VALUES ($2, $3, 'citizen', $4, $5, $7)
"""


@asynccontextmanager
async def driver_connection(uow: UnitOfWork) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection's driver, for the login's statements, each its own transaction."""
    async with uow.autocommit() as autocommit:
        connection = autocommit.pooled.driver_connection
        if not isinstance(connection, asyncpg.Connection):
            raise TypeError(f"accounts runs on asyncpg, not {type(connection).__name__}")
        yield connection


@dataclass(frozen=True)
class CitizenSignIn:
    id: uuid.UUID
    status: str
    password_hash: str


@dataclass(frozen=True)
class StaffSignIn:
    id: uuid.UUID
    password_hash: str


def citizen_sign_in(row: asyncpg.Record) -> CitizenSignIn:
    return CitizenSignIn(row["id"], row["status"], row["password_hash"])


def staff_sign_in(row: asyncpg.Record) -> StaffSignIn:
    return StaffSignIn(row["id"], row["password_hash"])


Subject = TypeVar("Subject")


@dataclass(frozen=True)
class Attempt(Generic[Subject]):
    """Who the identifier names (None: nobody) and, when a limit refused the try, how long to wait."""

    subject: Subject | None
    wait: timedelta | None


async def reserve(
    connection: asyncpg.Connection,
    query: str,
    value: str | None,
    limits: Callable[[Subject | None], Sequence[Limit]],
    read: Callable[[asyncpg.Record], Subject],
) -> Attempt[Subject]:
    """Looks the subject up with `query` (read by `read`) and reserves one try on each of `limits(subject)`,
    all or none.

    Keys are always taken in the order given (the address first), so two tries never wait on each other's
    locks in opposite orders."""
    transaction = connection.transaction()
    await transaction.start()
    try:
        row = await connection.fetchrow(query, value) if value is not None else None
        subject = read(row) if row is not None else None
        wanted = limits(subject)
        refused = not await _reserve_each(connection, wanted)
    except BaseException:
        await transaction.rollback()
        raise
    if refused:
        await transaction.rollback()
        return Attempt(subject, await _wait(connection, wanted))
    await transaction.commit()
    return Attempt(subject, None)


async def _reserve_each(connection: asyncpg.Connection, limits: Sequence[Limit]) -> bool:
    for limit in limits:
        if await connection.fetchval(RESERVE, limit.key, limit.free, limit.memory) is None:
            return False
    return True


async def reserve_tries(connection: asyncpg.Connection, limits: Sequence[Limit]) -> timedelta | None:
    """One try on each of `limits`, all or none, like `reserve` for a subject already known (a staff member's
    second factor); how long to wait when a limit refused it."""
    transaction = connection.transaction()
    await transaction.start()
    try:
        reserved = await _reserve_each(connection, limits)
    except BaseException:
        await transaction.rollback()
        raise
    if reserved:
        await transaction.commit()
        return None
    await transaction.rollback()
    return await _wait(connection, limits)


async def clear_tries(connection: asyncpg.Connection, key: str) -> None:
    await connection.execute(CLEARED, key)


async def give_back(connection: asyncpg.Connection, key: str) -> None:
    await connection.execute(GIVEN_BACK, key)


async def _wait(connection: asyncpg.Connection, limits: Sequence[Limit]) -> timedelta:
    rows = {row["key"]: row for row in await connection.fetch(FAILURES, [limit.key for limit in limits])}
    now = datetime.now(UTC)
    waits = [
        login_delay(rows[limit.key]["failures"], rows[limit.key]["last_failure_at"], now, limit.free)
        for limit in limits
        if limit.key in rows and rows[limit.key]["last_failure_at"] > now - limit.memory
    ]
    return max([*waits, timedelta(seconds=1)])


async def release(connection: asyncpg.Connection, subject_key: str, ip_key: str) -> None:
    await connection.execute(RELEASED, subject_key, ip_key)


async def record_success(
    connection: asyncpg.Connection,
    account_id: uuid.UUID,
    token_hash: str,
    expires_at: datetime,
    ip_key: str,
    family_id: uuid.UUID,
    started_at: datetime,
) -> None:
    """`family_id`, `started_at`: the session this login starts (rules.new_session)."""
    await connection.execute(
        SUCCEEDED,
        f"account:{account_id}",
        uuid.uuid4(),
        account_id,
        token_hash,
        expires_at,
        ip_key,
        family_id,
        started_at,
    )


async def start_session(
    session: AsyncSession,
    subject: uuid.UUID,
    audience: str,
    new: NewSession,
    establishment_id: uuid.UUID | None = None,
) -> None:
    """`establishment_id`: a staff session's establishment, when there is one already."""
    await session.execute(
        insert(session_families).values(
            id=new.family_id,
            subject_id=subject,
            audience=audience,
            started_at=new.started_at,
            establishment_id=establishment_id,
        )
    )
    await session.execute(
        insert(refresh_tokens).values(
            id=uuid.uuid4(),
            subject_id=subject,
            audience=audience,
            token_hash=new.refresh_token_hash,
            expires_at=new.ends_at,
            family_id=new.family_id,
        )
    )


@dataclass(frozen=True)
class PresentedToken:
    """A refresh token as presented, with its family (locked: see use_cases.refresh)."""

    id: uuid.UUID
    revoked_at: datetime | None
    expires_at: datetime
    family_id: uuid.UUID
    subject_id: uuid.UUID
    audience: str
    started_at: datetime
    family_revoked_at: datetime | None
    establishment_id: uuid.UUID | None  # a staff session's chosen establishment


_PRESENTED = (
    select(
        refresh_tokens.c.id,
        refresh_tokens.c.revoked_at,
        refresh_tokens.c.expires_at,
        session_families.c.id.label("family_id"),
        session_families.c.subject_id,
        session_families.c.audience,
        session_families.c.started_at,
        session_families.c.revoked_at.label("family_revoked_at"),
        session_families.c.establishment_id,
    )
    .join(session_families, session_families.c.id == refresh_tokens.c.family_id)
    .with_for_update(of=session_families)
)


async def presented_token(session: AsyncSession, token_hash: str) -> PresentedToken | None:
    row = (await session.execute(_PRESENTED.where(refresh_tokens.c.token_hash == token_hash))).first()
    return PresentedToken(**row._mapping) if row is not None else None


async def use_up(session: AsyncSession, token_id: uuid.UUID) -> bool:
    """False when the token was already used, by a refresh that committed meanwhile included."""
    used_up = (
        await session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.id == token_id, refresh_tokens.c.used_at.is_(None))
            .values(used_at=text("now()"))
            .returning(refresh_tokens.c.id)
        )
    ).first()
    return used_up is not None


async def choose_establishment(session: AsyncSession, family_id: uuid.UUID, establishment_id: uuid.UUID) -> None:
    await session.execute(
        update(session_families).where(session_families.c.id == family_id).values(establishment_id=establishment_id)
    )


async def add_refresh_token(
    session: AsyncSession,
    subject: uuid.UUID,
    audience: str,
    token_hash: str,
    expires_at: datetime,
    family_id: uuid.UUID,
) -> None:
    await session.execute(
        insert(refresh_tokens).values(
            id=uuid.uuid4(),
            subject_id=subject,
            audience=audience,
            token_hash=token_hash,
            expires_at=expires_at,
            family_id=family_id,
        )
    )


async def end_families_of(session: AsyncSession, subject: uuid.UUID) -> list[uuid.UUID]:
    """Ends the subject's sessions still going; returns them."""
    ended = await session.execute(
        update(session_families)
        .where(session_families.c.subject_id == subject, session_families.c.revoked_at.is_(None))
        .values(revoked_at=text("now()"))
        .returning(session_families.c.id)
    )
    return list(ended.scalars())


async def end_families(session: AsyncSession, families: list[uuid.UUID]) -> None:
    await session.execute(
        update(session_families).where(session_families.c.id.in_(families)).values(revoked_at=text("now()"))
    )


async def record_revocations(
    session: AsyncSession, subject: uuid.UUID, sessions: list[uuid.UUID | None], revoked_at: datetime
) -> None:
    """`None` among `sessions`: every session of the subject."""
    if sessions:
        await session.execute(
            insert(session_revocations),
            [{"subject_id": subject, "session_id": ended, "revoked_at": revoked_at} for ended in sessions],
        )


@dataclass(frozen=True)
class Revocation:
    subject_id: uuid.UUID
    session_id: uuid.UUID | None  # None: every session of the subject
    revoked_at: datetime


async def revocations_since(session: AsyncSession, since: datetime) -> list[Revocation]:
    rows = await session.execute(
        select(session_revocations.c.subject_id, session_revocations.c.session_id, session_revocations.c.revoked_at)
        .where(session_revocations.c.revoked_at >= since)
        .order_by(session_revocations.c.id)
    )
    return [Revocation(**row._mapping) for row in rows]


async def prune_sessions(session: AsyncSession, revoked_before: datetime, started_before: datetime) -> None:
    """Revocations older than `revoked_before`, and sessions ended then or started before `started_before`."""
    await session.execute(delete(session_revocations).where(session_revocations.c.revoked_at < revoked_before))
    await session.execute(
        delete(session_families).where(
            (session_families.c.started_at < started_before) | (session_families.c.revoked_at < revoked_before)
        )
    )


@dataclass(frozen=True)
class StaffPerson:
    """A staff member with the roles that open something (disabled ones left out)."""

    id: uuid.UUID
    email: str
    name: str
    language: str
    operator: bool
    roles: list[HeldRole]


async def staff_person(session: AsyncSession, staff_id: uuid.UUID) -> StaffPerson | None:
    row = (
        await session.execute(
            select(
                staff_users.c.id,
                staff_users.c.email,
                staff_users.c.name,
                staff_users.c.language,
                staff_users.c.operator,
            ).where(staff_users.c.id == staff_id)
        )
    ).first()
    if row is None:
        return None
    roles = await session.execute(
        select(staff_roles.c.establishment_id, staff_roles.c.role)
        .where(staff_roles.c.staff_id == staff_id, staff_roles.c.disabled_at.is_(None))
        .order_by(staff_roles.c.granted_at, staff_roles.c.establishment_id)
    )
    return StaffPerson(**row._mapping, roles=[HeldRole(**r._mapping) for r in roles])


@dataclass(frozen=True)
class StaffName:
    id: uuid.UUID
    name: str
    role: str


async def staff_names(session: AsyncSession, establishment_id: uuid.UUID) -> list[StaffName]:
    """Disabled roles included: the audit log still names what those people did."""
    rows = await session.execute(
        select(staff_users.c.id, staff_users.c.name, staff_roles.c.role)
        .join(staff_roles, staff_roles.c.staff_id == staff_users.c.id)
        .where(staff_roles.c.establishment_id == establishment_id)
        .order_by(staff_users.c.name)
    )
    return [StaffName(**row._mapping) for row in rows]


# --- the second factor ---


async def open_factor_challenge(
    session: AsyncSession,
    staff_id: uuid.UUID,
    purpose: str,
    token_hash: str,
    expires_at: datetime,
    pending_secret_encrypted: str | None,
) -> None:
    """The person's expired challenges go at the same time: no other job needs to sweep them."""
    await session.execute(
        delete(staff_factor_challenges).where(
            staff_factor_challenges.c.staff_id == staff_id, staff_factor_challenges.c.expires_at < text("now()")
        )
    )
    await session.execute(
        insert(staff_factor_challenges).values(
            id=uuid.uuid4(),
            token_hash=token_hash,
            staff_id=staff_id,
            purpose=purpose,
            pending_secret_encrypted=pending_secret_encrypted,
            expires_at=expires_at,
        )
    )


@dataclass(frozen=True)
class FactorChallenge:
    id: uuid.UUID
    staff_id: uuid.UUID
    purpose: str
    pending_secret_encrypted: str | None
    wrong_codes: int
    expires_at: datetime
    used_at: datetime | None


async def factor_challenge(session: AsyncSession, token_hash: str, *, lock: bool = False) -> FactorChallenge | None:
    """`lock`: the challenge's row, held until commit, so two codes sent at once are checked one after the other."""
    query = select(
        staff_factor_challenges.c.id,
        staff_factor_challenges.c.staff_id,
        staff_factor_challenges.c.purpose,
        staff_factor_challenges.c.pending_secret_encrypted,
        staff_factor_challenges.c.wrong_codes,
        staff_factor_challenges.c.expires_at,
        staff_factor_challenges.c.used_at,
    ).where(staff_factor_challenges.c.token_hash == token_hash)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    return FactorChallenge(**row._mapping) if row is not None else None


async def count_wrong_code(session: AsyncSession, challenge_id: uuid.UUID) -> int:
    """The challenge's wrong codes, this one included."""
    counted = await session.execute(
        update(staff_factor_challenges)
        .where(staff_factor_challenges.c.id == challenge_id)
        .values(wrong_codes=staff_factor_challenges.c.wrong_codes + 1)
        .returning(staff_factor_challenges.c.wrong_codes)
    )
    return int(counted.scalar_one())


async def close_factor_challenge(session: AsyncSession, challenge_id: uuid.UUID) -> None:
    await session.execute(
        update(staff_factor_challenges)
        .where(staff_factor_challenges.c.id == challenge_id)
        .values(used_at=text("now()"), pending_secret_encrypted=None)
    )


@dataclass(frozen=True)
class StaffFactor:
    totp_secret_encrypted: str | None
    totp_last_step: int | None


async def staff_factor(session: AsyncSession, staff_id: uuid.UUID) -> StaffFactor | None:
    """Locked until commit: a code's step is checked against the last one and recorded in one go."""
    row = (
        await session.execute(
            select(staff_users.c.totp_secret_encrypted, staff_users.c.totp_last_step)
            .where(staff_users.c.id == staff_id)
            .with_for_update()
        )
    ).first()
    return StaffFactor(**row._mapping) if row is not None else None


async def accept_totp_step(session: AsyncSession, staff_id: uuid.UUID, step: int) -> None:
    await session.execute(update(staff_users).where(staff_users.c.id == staff_id).values(totp_last_step=step))


async def use_recovery_code(session: AsyncSession, staff_id: uuid.UUID, code_hash: str) -> bool:
    """False when the person has no such code, or it was used."""
    used = await session.execute(
        update(staff_recovery_codes)
        .where(
            staff_recovery_codes.c.staff_id == staff_id,
            staff_recovery_codes.c.code_hash == code_hash,
            staff_recovery_codes.c.used_at.is_(None),
        )
        .values(used_at=text("now()"))
        .returning(staff_recovery_codes.c.code_hash)
    )
    return used.first() is not None


async def enrol_factor(
    session: AsyncSession, staff_id: uuid.UUID, secret_encrypted: str, step: int, recovery_code_hashes: list[str]
) -> None:
    """The secret proven by the code of `step`, and a new set of recovery codes replacing any older one."""
    await session.execute(
        update(staff_users)
        .where(staff_users.c.id == staff_id)
        .values(totp_secret_encrypted=secret_encrypted, totp_enrolled_at=text("now()"), totp_last_step=step)
    )
    await session.execute(delete(staff_recovery_codes).where(staff_recovery_codes.c.staff_id == staff_id))
    await session.execute(
        insert(staff_recovery_codes), [{"staff_id": staff_id, "code_hash": h} for h in recovery_code_hashes]
    )


async def citizen_has_email(session: AsyncSession, email: str) -> bool:
    found = await session.execute(select(accounts.c.id).where(func.lower(accounts.c.email) == email.lower()))
    return found.first() is not None


async def add_operator(
    session: AsyncSession,
    staff_id: uuid.UUID,
    email: str,
    name: str,
    password_hash: str,
    language: str,
    totp_secret_encrypted: str | None,
) -> bool:
    """False when the e-mail is already a staff member's (nothing changes)."""
    added = await session.execute(
        text(
            "INSERT INTO staff_users (id, email, name, password_hash, language, operator, totp_secret_encrypted,"
            " totp_enrolled_at) VALUES (:id, :email, :name, :password_hash, :language, true, :secret,"
            " CASE WHEN CAST(:secret AS text) IS NULL THEN NULL ELSE now() END)"
            " ON CONFLICT (lower(email)) DO NOTHING RETURNING id"
        ),
        {
            "id": staff_id,
            "email": email,
            "name": name,
            "password_hash": password_hash,
            "language": language,
            "secret": totp_secret_encrypted,
        },
    )
    return added.first() is not None
