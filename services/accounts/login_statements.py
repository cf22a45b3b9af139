"""The login hot path on a pooled driver connection: two single-statement round trips, no session.

argon2 is meant to be the cost of a login; measured with py-spy under load, the event loop spent about
4 ms per login in SQLAlchemy sessions around nine round trips (two BEGINs, a ROLLBACK, a COMMIT, five
statements), CPU taken from the hashing threads on a small machine. Each statement here is atomic alone.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.accounts import domain

# The account (if any) with the failure counts of the caller's address and of the account, in one statement.
_LOOKUP = """
SELECT a.id, a.status, a.password_hash,
       ip.failures AS ip_failures, ip.last_failure_at AS ip_last_at,
       acc.failures AS account_failures, acc.last_failure_at AS account_last_at
FROM (VALUES ($2::text)) AS caller (ip_key)
LEFT JOIN accounts a ON {condition}
LEFT JOIN login_failures ip ON ip.key = caller.ip_key
LEFT JOIN login_failures acc ON acc.key = 'account:' || a.id::text
"""
BY_EMAIL = _LOOKUP.format(condition="lower(a.email) = $1")
BY_PHONE = _LOOKUP.format(condition="a.phone = $1")
FAILURES = "SELECT key, failures, last_failure_at FROM login_failures WHERE key = ANY($1::text[])"
# Success: the account's failure count is cleared and the refresh token stored, together.
SUCCEEDED = """
WITH cleared AS (DELETE FROM login_failures WHERE key = $1)
INSERT INTO refresh_tokens (id, subject_id, audience, token_hash, expires_at) VALUES ($2, $3, 'citizen', $4, $5)
"""


@dataclass(frozen=True)
class Failures:
    count: int
    last_at: datetime


@dataclass(frozen=True)
class Lookup:
    account: asyncpg.Record | None  # id, status, password_hash
    ip_failures: Failures | None
    account_failures: Failures | None


async def look_up(connection: asyncpg.Connection, identifier: str, ip_key: str) -> Lookup:
    """The account by email (any case) or phone number (E.164), as registered, and the recent failures."""
    kind, value = domain.login_identifier(identifier)
    # An unreadable phone number matches no account; the address's failures still count.
    row = await connection.fetchrow(BY_EMAIL if kind == "email" else BY_PHONE, value, ip_key)
    assert row is not None  # the VALUES row is always there
    return Lookup(
        account=row if row["id"] is not None else None,
        ip_failures=Failures(row["ip_failures"], row["ip_last_at"]) if row["ip_failures"] is not None else None,
        account_failures=(
            Failures(row["account_failures"], row["account_last_at"]) if row["account_failures"] is not None else None
        ),
    )


async def failures(connection: asyncpg.Connection, keys: list[str]) -> dict[str, Failures]:
    rows = await connection.fetch(FAILURES, keys)
    return {row["key"]: Failures(row["failures"], row["last_failure_at"]) for row in rows}


async def record_success(
    connection: asyncpg.Connection, account_id: uuid.UUID, token_hash: str, expires_at: datetime
) -> None:
    await connection.execute(SUCCEEDED, f"account:{account_id}", uuid.uuid4(), account_id, token_hash, expires_at)
