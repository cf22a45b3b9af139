"""Decoy challenges (CodeRequested.decoy) against the real database: what accounts asks for where no account can
be proven (a reset for an unknown address, a registration with a taken or a staff address), so that the
challenge id it answers with behaves like any other (issue 18, finding 4: the id answered 404 when no account
existed, 200 otherwise)."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.verification.codes import rules as domain
from services.verification.codes.use_cases import issue_challenge
from services.verification.settings import VerificationSettings
from services.verification.tests.integration.test_challenges import challenge_status, verify_code
from shared.contracts.accounts import CodeRequested
from shared.contracts.verification import CodeIssued
from shared.db import make_engine, make_sessionmaker
from shared.errors import ApiError
from shared.unit_of_work import UnitOfWork

SETTINGS = VerificationSettings(environment="test")

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[Sessions]:
    engine = make_engine(clean_databases["verification"], pool_size=5)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def request_code(sessions: Sessions, **changes: Any) -> CodeRequested:
    values = {
        "request_id": uuid.uuid4(),
        "account_id": uuid.uuid4(),
        "purpose": "reset_password",
        "channel": "email",
        "destination": f"marie.{uuid.uuid4().hex[:8]}@example.org",
        "language": "fr",
    }
    event = CodeRequested(**(values | changes))
    async with UnitOfWork(sessions) as uow:
        await issue_challenge(uow, event, SETTINGS)
        await uow.commit()
    return event


async def attempts(sessions: Sessions, challenge_id: uuid.UUID, codes: list[str]) -> list[str]:
    outcomes = []
    for code in codes:
        try:
            await verify_code(UnitOfWork(sessions), challenge_id, code, "reset_password", None, SETTINGS)
            outcomes.append("passed")
        except ApiError as refused:
            outcomes.append(refused.code)
    return outcomes


async def codes_issued(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        bodies = await session.execute(
            text("SELECT body FROM outbox WHERE routing_key = :key"), {"key": CodeIssued.routing_key()}
        )
        return list(bodies.scalars())


async def test_a_decoy_answers_and_refuses_codes_like_a_real_challenge_and_sends_nothing(sessions):
    real = await request_code(sessions)
    decoy = await request_code(sessions, decoy=True)

    assert len(await codes_issued(sessions)) == 1  # the real one's only
    real_status = await challenge_status(UnitOfWork(sessions), real.request_id, SETTINGS)
    decoy_status = await challenge_status(UnitOfWork(sessions), decoy.request_id, SETTINGS)
    assert real_status.model_dump(exclude={"id", "expires_at"}) == decoy_status.model_dump(exclude={"id", "expires_at"})
    assert abs((real_status.expires_at - decoy_status.expires_at).total_seconds()) < 5

    wrong = ["000000", "123456", "999999", "424242", "111111", "222222"]
    assert await attempts(sessions, decoy.request_id, wrong) == await attempts(sessions, real.request_id, wrong)


async def test_no_code_can_pass_a_decoy(sessions):
    decoy = await request_code(sessions, decoy=True)
    async with sessions() as session:
        stored = (
            await session.execute(text("SELECT code_hash FROM challenges WHERE id = :id"), {"id": decoy.request_id})
        ).scalar()
    key = bytes(32)
    # Every code's HMAC is 64 hexadecimal digits, whatever the key: none equals what a decoy stores.
    assert stored == domain.NO_CODE_MATCHES
    assert len(domain.hash_code(key, decoy.request_id, "000000")) == 64 != len(stored)
