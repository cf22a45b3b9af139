"""The login hot path on a pooled driver connection: a few short statements, no session.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from services.accounts import domain

CITIZEN_BY_EMAIL = "SELECT id, status, password_hash FROM accounts WHERE lower(email) = $1"
CITIZEN_BY_PHONE = "SELECT id, status, password_hash FROM accounts WHERE phone = $1"
STAFF_BY_EMAIL = "SELECT id, establishment_id, role, password_hash FROM staff_users WHERE lower(email) = $1"

# One more try on `key`, or no row when the key is over its limit (then nothing changes: hammering a
# refused account does not push its wait further). A count not touched for `memory` starts again at 1.
# The delay doubles from 2 s per try beyond the free ones, capped at 15 minutes (domain.login_delay).
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


@dataclass(frozen=True)
class Limit:
    key: str
    free: int  # tries before the first delay
    memory: timedelta  # a count not touched for this long is forgotten


@dataclass(frozen=True)
class Attempt:
    """Who the identifier names (None: nobody) and, when a limit refused the try, how long to wait."""

    subject: asyncpg.Record | None
    wait: timedelta | None


async def reserve(
    connection: asyncpg.Connection,
    query: str,
    value: str | None,
    limits: Callable[[asyncpg.Record | None], Sequence[Limit]],
) -> Attempt:
    """Looks the subject up with `query` and reserves one try on each of `limits(subject)`, all or none.

    Keys are always taken in the order given (the address first), so two tries never wait on each other's
    locks in opposite orders."""
    transaction = connection.transaction()
    await transaction.start()
    try:
        subject = await connection.fetchrow(query, value) if value is not None else None
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
        domain.login_delay(rows[limit.key]["failures"], rows[limit.key]["last_failure_at"], now, limit.free)
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
    """`family_id`, `started_at`: the session this login starts (services/accounts/sessions.py)."""
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
