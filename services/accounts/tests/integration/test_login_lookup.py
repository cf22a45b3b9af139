"""The login's statements: the account by email or phone, a try reserved on each limit (all or none), and a
success that clears the account's count and gives the address its try back."""

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from services.accounts.sessions import queries
from services.accounts.sessions import rules as domain
from services.accounts.sessions.queries import CITIZEN_BY_EMAIL, CITIZEN_BY_PHONE, record_success, release
from services.accounts.sessions.rules import Limit
from shared.db import asyncpg_dsn

DAY = timedelta(hours=24)


async def reserve(db, query, value, limits):
    """The statement as the login runs it, the subject read as a mapping."""
    return await queries.reserve(db, query, value, limits, read=dict)


@pytest.fixture
async def db(clean_databases: dict[str, str]):
    connection = await asyncpg.connect(asyncpg_dsn(clean_databases["accounts"]))
    yield connection
    await connection.close()


async def _account(db: asyncpg.Connection, email: str, phone: str) -> uuid.UUID:
    account_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO accounts (id, status, first_name, last_name, birth_date, sex, email, phone, language,"
        " password_hash) VALUES ($1, 'active', 'Léa', 'Roy', $2, 'F', $3, $4, 'fr', 'hash')",
        account_id, date(1990, 1, 2), email, phone,
    )  # fmt: skip
    return account_id


async def _counts(db: asyncpg.Connection) -> dict[str, int]:
    return {row["key"]: row["failures"] for row in await db.fetch("SELECT key, failures FROM login_failures")}


def _limits(ip_free: int, account_free: int):
    def limits(account):
        key = f"account:{account['id']}" if account is not None else "identifier:unknown"
        return [Limit("ip:10.0.0.9", ip_free, DAY), Limit(key, account_free, DAY)]

    return limits


async def test_the_account_is_found_by_email_in_any_case_or_by_phone_and_both_counts_reserved(db):
    account_id = await _account(db, "Lea.Roy@example.org", "+15145550111")
    _, value = domain.login_identifier("  lea.roy@EXAMPLE.org ")
    by_email = await reserve(db, CITIZEN_BY_EMAIL, value, _limits(30, 5))
    _, value = domain.login_identifier("514 555-0111")
    by_phone = await reserve(db, CITIZEN_BY_PHONE, value, _limits(30, 5))

    assert by_email.subject["id"] == account_id == by_phone.subject["id"]
    assert (by_email.wait, by_phone.wait) == (None, None)
    assert await _counts(db) == {"ip:10.0.0.9": 2, f"account:{account_id}": 2}


async def test_a_try_over_either_limit_reserves_nothing_and_says_how_long_to_wait(db):
    account_id = await _account(db, "lente@example.org", "+15145550112")
    await db.execute(
        "INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 5, now())", f"account:{account_id}"
    )
    refused = await reserve(db, CITIZEN_BY_EMAIL, "lente@example.org", _limits(30, 5))
    assert refused.subject["id"] == account_id
    assert timedelta(seconds=1) <= refused.wait <= timedelta(seconds=2)
    # The address's count was not touched either: the refused try is not counted anywhere.
    assert await _counts(db) == {f"account:{account_id}": 5}


async def test_a_count_untouched_for_longer_than_its_memory_starts_again(db):
    await db.execute(
        "INSERT INTO login_failures (key, failures, last_failure_at) VALUES ('identifier:unknown', 40, $1)",
        datetime.now(UTC) - DAY - timedelta(minutes=1),
    )
    attempt = await reserve(db, CITIZEN_BY_EMAIL, "nobody@example.org", _limits(30, 5))
    assert (attempt.subject, attempt.wait) == (None, None)
    assert (await _counts(db))["identifier:unknown"] == 1


async def test_a_success_clears_the_account_count_gives_the_try_back_and_stores_the_refresh_token(db):
    account_id = await _account(db, "ok@example.org", "+15145550113")
    await db.execute(
        "INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 2, now()), ('ip:10.0.0.9', 3, now())",
        f"account:{account_id}",
    )
    family = uuid.uuid4()
    await record_success(
        db, account_id, "token-hash", datetime(2030, 1, 1, tzinfo=UTC), "ip:10.0.0.9", family, datetime.now(UTC)
    )
    assert await _counts(db) == {"ip:10.0.0.9": 2}
    stored = await db.fetchrow(
        "SELECT subject_id, audience, family_id FROM refresh_tokens WHERE token_hash = 'token-hash'"
    )
    assert (stored["subject_id"], stored["audience"], stored["family_id"]) == (account_id, "citizen", family)
    # The login started a session (services/accounts/sessions/): its family, for rotation and its lifetime.
    assert await db.fetchval("SELECT subject_id FROM session_families WHERE id = $1", family) == account_id

    await db.execute("INSERT INTO login_failures (key, failures, last_failure_at) VALUES ('staff:x', 4, now())")
    await release(db, "staff:x", "ip:10.0.0.9")
    assert await _counts(db) == {"ip:10.0.0.9": 1}
