"""After five wrong codes (issue 22, item 5): a resend sends no code that the spent chain would refuse; once the
cooldown after the last wrong try is over, it opens a fresh chain with fresh tries, still under the bound on wrong
codes across challenges."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from services.verification.tests.integration.test_challenges import (
    SETTINGS,
    Sessions,
    another_code,
    attempt,
    code_request,
    code_sent_for,
    outbox_events,
    request_code,
    scalar,
)
from shared.contracts.accounts import CodeRequested
from shared.contracts.verification import CodeIssued, CodeLocked
from shared.db import make_engine, make_sessionmaker


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[Sessions]:
    engine = make_engine(clean_databases["verification"], pool_size=5)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def _spend(sessions: Sessions, challenge: CodeRequested) -> None:
    code = await code_sent_for(sessions, challenge.request_id)
    for _ in range(SETTINGS.max_wrong_attempts):
        assert await attempt(sessions, challenge.request_id, another_code(code)) == "wrong_code"


async def _resend(sessions: Sessions, of: CodeRequested) -> CodeRequested:
    return await request_code(
        sessions, code_request(account_id=of.account_id, destination=of.destination, resend_of=of.request_id)
    )


async def _age_the_lock(sessions: Sessions, minutes: float) -> None:
    """As if the last wrong try had been typed `minutes` earlier (the cooldown counts from it)."""
    async with sessions() as session:
        await session.execute(
            text("UPDATE challenge_budgets SET locked_at = locked_at - make_interval(mins => :minutes)"),
            {"minutes": minutes},
        )
        await session.commit()


async def _locked_events(sessions: Sessions) -> list[dict[str, Any]]:
    return await outbox_events(sessions, CodeLocked)  # type: ignore[arg-type]


async def test_the_last_wrong_try_locks_the_chain_and_says_from_when(sessions):
    first = await request_code(sessions, code_request())
    await _spend(sessions, first)
    [locked] = await _locked_events(sessions)
    assert locked["challenge_id"] == str(first.request_id)
    locked_at = await scalar(sessions, "SELECT locked_at FROM challenge_budgets")
    assert locked["new_code_from"].startswith(
        (locked_at + timedelta(minutes=SETTINGS.new_code_cooldown_minutes)).isoformat()[:19]
    )
    assert await attempt(sessions, first.request_id, await code_sent_for(sessions, first.request_id)) == (
        "too_many_attempts"
    )


async def test_a_resend_before_the_cooldown_sends_nothing_and_keeps_the_chain_locked(sessions):
    first = await request_code(sessions, code_request())
    await _spend(sessions, first)
    early = await _resend(sessions, first)
    # No code made for it: the outbox holds the first one only, and the new challenge is told locked too.
    assert [e["challenge_id"] for e in await outbox_events(sessions, CodeIssued)] == [str(first.request_id)]
    assert [e["challenge_id"] for e in await _locked_events(sessions)] == [str(first.request_id), str(early.request_id)]
    assert await attempt(sessions, early.request_id, "000000") == "too_many_attempts"
    assert await scalar(sessions, "SELECT count(*) FROM challenge_budgets") == 1


async def test_after_the_cooldown_a_resend_opens_a_fresh_chain_whose_code_works(sessions):
    first = await request_code(sessions, code_request())
    await _spend(sessions, first)
    await _age_the_lock(sessions, SETTINGS.new_code_cooldown_minutes + 0.1)
    fresh = await _resend(sessions, first)
    code = await code_sent_for(sessions, fresh.request_id)
    assert await scalar(sessions, "SELECT count(*) FROM challenge_budgets") == 2
    assert await attempt(sessions, first.request_id, code) == "code_superseded"
    assert await attempt(sessions, fresh.request_id, another_code(code)) == "wrong_code"
    assert await attempt(sessions, fresh.request_id, code) == "passed"


async def test_the_bound_across_chains_still_holds_after_fresh_ones(sessions):
    """Two chains of five wrong codes reach the bound (10 in 24 h): the next resend sends nothing, even after the
    chain's cooldown, and the lock is told to last until the bound lifts (hours, not minutes)."""
    assert SETTINGS.max_wrong_codes_per_account == 2 * SETTINGS.max_wrong_attempts
    first = await request_code(sessions, code_request())
    await _spend(sessions, first)
    await _age_the_lock(sessions, SETTINGS.new_code_cooldown_minutes + 0.1)
    second = await _resend(sessions, first)
    await _spend(sessions, second)
    last_locked = (await _locked_events(sessions))[-1]
    assert last_locked["challenge_id"] == str(second.request_id)
    new_code_from = datetime.fromisoformat(last_locked["new_code_from"])
    assert new_code_from - datetime.now(UTC) > timedelta(hours=23)
    await _age_the_lock(sessions, SETTINGS.new_code_cooldown_minutes + 0.1)
    third = await _resend(sessions, second)
    assert str(third.request_id) not in [e["challenge_id"] for e in await outbox_events(sessions, CodeIssued)]
    assert await attempt(sessions, third.request_id, "000000") == "too_many_wrong_codes"
