"""Reuse detection of refresh tokens against real PostgreSQL, when both copies are presented at once.

Issue 18 follow-up: a refresh locked only its family's row and read the token's row from the snapshot taken
before waiting for that lock, so two refreshes of one token in parallel both saw it unused: both got new
tokens, the family forked and nothing was detected.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.jwt_keys import generate_es256_keypair
from services.accounts.sessions import use_cases as accounts_sessions
from services.accounts.sessions.schemas import TokenResponse
from services.accounts.settings import AccountsSettings
from services.accounts.tests.answered import ApiError, as_answered
from shared.db import asyncpg_dsn, make_engine, make_sessionmaker
from shared.unit_of_work import UnitOfWork

SETTINGS = AccountsSettings.model_construct(jwt_private_key=SecretStr(generate_es256_keypair()[0]))


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(clean_databases["accounts"])
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


async def _login(sessions: async_sessionmaker[AsyncSession]) -> tuple[uuid.UUID, TokenResponse]:
    subject = uuid.uuid4()
    async with UnitOfWork(sessions) as uow:
        tokens = await accounts_sessions.start_session(uow, SETTINGS, subject, "citizen", {})
        await uow.commit()
    return subject, tokens


async def _refresh(sessions: async_sessionmaker[AsyncSession], token: str) -> TokenResponse | ApiError:
    try:
        with as_answered():
            return await accounts_sessions.refresh(UnitOfWork(sessions), SETTINGS, token)
    except ApiError as refused:
        return refused


async def _until_waiting_for_locks(db: asyncpg.Connection, count: int) -> None:
    for _ in range(400):
        # Within the lock holder's transaction, pg_stat_activity is read once and then kept: read it anew.
        await db.execute("SELECT pg_stat_clear_snapshot()")
        waiting = await db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"the refreshes never both waited for the family's lock ({waiting} of {count})")


async def test_one_token_presented_twice_at_once_gives_at_most_one_session_and_ends_the_family(
    sessions: async_sessionmaker[AsyncSession], clean_databases: dict[str, str]
) -> None:
    subject, tokens = await _login(sessions)
    db = await asyncpg.connect(asyncpg_dsn(clean_databases["accounts"]))
    try:
        # Holding the family's lock makes both refreshes read the token before either can use it up: the worst
        # case of two requests arriving together, made certain instead of left to the scheduler.
        holder = db.transaction()
        await holder.start()
        await db.execute("SELECT 1 FROM session_families WHERE subject_id = $1 FOR UPDATE", subject)
        both = asyncio.gather(_refresh(sessions, tokens.refresh_token), _refresh(sessions, tokens.refresh_token))
        await _until_waiting_for_locks(db, 2)
        await holder.rollback()
        results = await asyncio.wait_for(both, timeout=30)

        granted = [result for result in results if isinstance(result, TokenResponse)]
        refused = [result for result in results if isinstance(result, ApiError)]
        assert len(granted) <= 1, "both copies of one refresh token got new tokens: the family forked"
        assert [error.code for error in refused] == ["session_expired"] * (2 - len(granted))
        family = await db.fetchrow("SELECT id, revoked_at FROM session_families WHERE subject_id = $1", subject)
        assert family["revoked_at"] is not None, "the reuse was not detected: the family goes on"
        assert await db.fetchval("SELECT count(*) FROM session_revocations WHERE session_id = $1", family["id"]) == 1
        # Whatever the first one got ended with the family.
        for winner in granted:
            assert isinstance(await _refresh(sessions, winner.refresh_token), ApiError)
    finally:
        await db.close()


async def test_one_token_presented_twice_together_without_help_never_forks_the_family(
    sessions: async_sessionmaker[AsyncSession], clean_databases: dict[str, str]
) -> None:
    subject, tokens = await _login(sessions)
    results = await asyncio.gather(*(_refresh(sessions, tokens.refresh_token) for _ in range(2)))

    granted = [result for result in results if isinstance(result, TokenResponse)]
    assert len(granted) <= 1
    db = await asyncpg.connect(asyncpg_dsn(clean_databases["accounts"]))
    try:
        assert await db.fetchval("SELECT revoked_at FROM session_families WHERE subject_id = $1", subject) is not None
        # One token stored at login, at most one more: a fork would have stored two.
        assert await db.fetchval("SELECT count(*) FROM refresh_tokens WHERE subject_id = $1", subject) <= 2
    finally:
        await db.close()
