"""The login's one-statement lookup: the account by email or phone, with its and the address's recent failures."""

import uuid
from datetime import UTC, date, datetime

import asyncpg
import pytest

from services.accounts.login_statements import look_up, record_success
from shared.db import asyncpg_dsn


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


async def test_the_account_is_found_by_email_in_any_case_or_by_phone_with_both_failure_counts(db):
    account_id = await _account(db, "Lea.Roy@example.org", "+15145550111")
    now = datetime.now(UTC)
    await db.execute(
        "INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 3, $2), ('ip:10.0.0.9', 7, $2)",
        f"account:{account_id}", now,
    )  # fmt: skip

    by_email = await look_up(db, "  lea.roy@EXAMPLE.org ", "ip:10.0.0.9")
    by_phone = await look_up(db, "514 555-0111", "ip:10.0.0.1")

    assert by_email.account["id"] == account_id == by_phone.account["id"]
    assert (by_email.account_failures.count, by_email.ip_failures.count) == (3, 7)
    assert by_phone.account_failures.count == 3
    assert by_phone.ip_failures is None


async def test_an_unknown_or_unreadable_identifier_still_reports_the_address_failures(db):
    await db.execute("INSERT INTO login_failures (key, failures, last_failure_at) VALUES ('ip:10.0.0.9', 2, now())")
    for identifier in ("nobody@example.org", "not a phone number", "514 555-0199"):
        found = await look_up(db, identifier, "ip:10.0.0.9")
        assert found.account is None
        assert found.account_failures is None
        assert found.ip_failures.count == 2


async def test_a_success_clears_the_account_failures_and_stores_the_refresh_token(db):
    account_id = await _account(db, "ok@example.org", "+15145550112")
    await db.execute(
        "INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 2, now())", f"account:{account_id}"
    )
    await record_success(db, account_id, "token-hash", datetime(2030, 1, 1, tzinfo=UTC))
    assert await db.fetchval("SELECT count(*) FROM login_failures WHERE key = $1", f"account:{account_id}") == 0
    stored = await db.fetchrow("SELECT subject_id, audience FROM refresh_tokens WHERE token_hash = 'token-hash'")
    assert (stored["subject_id"], stored["audience"]) == (account_id, "citizen")
