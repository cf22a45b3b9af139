"""The login hot path on a pooled driver connection: three single-statement round trips, no session.

argon2 is meant to be the cost of a login; measured with py-spy under load, the event loop spent about
4 ms per login in SQLAlchemy sessions around nine round trips (two BEGINs, a ROLLBACK, a COMMIT, five
statements), CPU taken from the hashing threads on a small machine. Each statement here is atomic alone.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import phonenumbers

_ACCOUNT = "SELECT id, status, password_hash FROM accounts WHERE "
BY_EMAIL = _ACCOUNT + "lower(email) = $1"
BY_PHONE = _ACCOUNT + "phone = $1"
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


async def find_account(connection: asyncpg.Connection, identifier: str) -> asyncpg.Record | None:
    """By email (any case) or by phone number (E.164), as the account was registered."""
    identifier = identifier.strip()
    if "@" in identifier:
        return await connection.fetchrow(BY_EMAIL, identifier.lower())
    try:
        number = phonenumbers.parse(identifier, "CA")
    except phonenumbers.NumberParseException:
        return None
    return await connection.fetchrow(BY_PHONE, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


async def failures(connection: asyncpg.Connection, keys: list[str]) -> dict[str, Failures]:
    rows = await connection.fetch(FAILURES, keys)
    return {row["key"]: Failures(row["failures"], row["last_failure_at"]) for row in rows}


async def record_success(
    connection: asyncpg.Connection, account_id: uuid.UUID, token_hash: str, expires_at: datetime
) -> None:
    await connection.execute(SUCCEEDED, f"account:{account_id}", uuid.uuid4(), account_id, token_hash, expires_at)
