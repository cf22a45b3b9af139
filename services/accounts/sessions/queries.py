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
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.accounts.models import refresh_tokens, session_families, session_revocations, staff_users
from services.accounts.sessions.rules import Limit, NewSession, login_delay
from shared.unit_of_work import UnitOfWork

CITIZEN_BY_EMAIL = "SELECT id, status, password_hash FROM accounts WHERE lower(email) = $1"
CITIZEN_BY_PHONE = "SELECT id, status, password_hash FROM accounts WHERE phone = $1"
STAFF_BY_EMAIL = "SELECT id, establishment_id, role, password_hash FROM staff_users WHERE lower(email) = $1"

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
    establishment_id: uuid.UUID
    role: str
    password_hash: str


def citizen_sign_in(row: asyncpg.Record) -> CitizenSignIn:
    return CitizenSignIn(row["id"], row["status"], row["password_hash"])


def staff_sign_in(row: asyncpg.Record) -> StaffSignIn:
    return StaffSignIn(row["id"], row["establishment_id"], row["role"], row["password_hash"])


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
        refused = False
        for limit in wanted:
            if await connection.fetchval(RESERVE, limit.key, limit.free, limit.memory) is None:
                refused = True
                break
    except BaseException:
        await transaction.rollback()
        raise
    if refused:
        await transaction.rollback()
        return Attempt(subject, await _wait(connection, wanted))
    await transaction.commit()
    return Attempt(subject, None)


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


async def start_session(session: AsyncSession, subject: uuid.UUID, audience: str, new: NewSession) -> None:
    await session.execute(
        insert(session_families).values(
            id=new.family_id, subject_id=subject, audience=audience, started_at=new.started_at
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


@dataclass(frozen=True)
class StaffClaims:
    establishment_id: uuid.UUID
    role: str


async def staff_claims(session: AsyncSession, staff_id: uuid.UUID) -> StaffClaims | None:
    row = (
        await session.execute(
            select(staff_users.c.establishment_id, staff_users.c.role).where(staff_users.c.id == staff_id)
        )
    ).first()
    return StaffClaims(**row._mapping) if row is not None else None


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
class StaffProfile:
    id: uuid.UUID
    name: str
    role: str
    establishment_id: uuid.UUID


async def staff_profile(session: AsyncSession, staff_id: uuid.UUID) -> StaffProfile | None:
    row = (
        await session.execute(
            select(staff_users.c.id, staff_users.c.name, staff_users.c.role, staff_users.c.establishment_id).where(
                staff_users.c.id == staff_id
            )
        )
    ).first()
    return StaffProfile(**row._mapping) if row is not None else None


@dataclass(frozen=True)
class StaffName:
    id: uuid.UUID
    name: str
    role: str


async def staff_names(session: AsyncSession, establishment_id: uuid.UUID) -> list[StaffName]:
    rows = await session.execute(
        select(staff_users.c.id, staff_users.c.name, staff_users.c.role)
        .where(staff_users.c.establishment_id == establishment_id)
        .order_by(staff_users.c.name)
    )
    return [StaffName(**row._mapping) for row in rows]
