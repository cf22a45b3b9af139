"""After verification said a code is locked (CodeLocked, issue 22, item 5): a resend before the time it names is
refused with that time (429, Retry-After, FR/EN), for a pending change and a decoy alike; after it, a new code is
asked for as before."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.accounts.registration import use_cases as service
from services.accounts.tests.answered import ApiError, as_answered
from services.accounts.tests.integration.test_enumeration import (
    DEPS,
    published,
    reset,
    seed,
    sessions,  # noqa: F401 - the fixture
    shape,
)
from shared.contracts.accounts import CodeRequested
from shared.contracts.verification import CodeLocked
from shared.unit_of_work import UnitOfWork


async def _locked(sessions, challenge_id: uuid.UUID, new_code_from: datetime) -> None:  # noqa: F811
    async with UnitOfWork(sessions) as uow:
        event = CodeLocked(
            challenge_id=challenge_id, account_id=uuid.uuid4(), purpose="reset_password", new_code_from=new_code_from
        )
        await service.record_code_locked(uow, event)
        await uow.commit()


async def test_a_locked_code_is_not_resent_before_its_time_then_is(sessions):  # noqa: F811
    await seed(sessions)
    existing = await reset(sessions, "sophie.roy@example.org")
    unknown = await reset(sessions, "sylvie.roy@example.org")  # a decoy: answers the same
    soon = datetime.now(UTC) + timedelta(minutes=15)
    answers = []
    for challenge in (existing, unknown):
        await _locked(sessions, challenge.challenge_id, soon)
        with pytest.raises(ApiError) as refused, as_answered():
            await service.resend_code(UnitOfWork(sessions), DEPS, challenge.challenge_id, None)
        answers.append(refused.value)
    assert [(a.status, a.code, a.field) for a in answers] == [(429, "resend_too_soon", "code")] * 2
    assert answers[0].fr == answers[1].fr
    # Said to the minute, rounded up: 15 minutes from now reads 15 or 16 min.
    assert re.search(r"à partir de \d{1,2}\u00a0h(\u00a0\d\d)? \(dans 1[56]\u00a0min\)", answers[0].fr), answers[0].fr
    assert "Envoyer un nouveau code" in answers[0].fr
    assert "Send a new code" in answers[0].en
    assert 14 * 60 < int(answers[0].headers["Retry-After"]) <= 15 * 60
    requested = len(await published(sessions, CodeRequested))

    # The time has come (set in the past, as if it had passed): a new code is asked for, under a new id that no
    # lock names.
    for challenge in (existing, unknown):
        await _locked(sessions, challenge.challenge_id, datetime.now(UTC) - timedelta(seconds=1))
        again = await service.resend_code(UnitOfWork(sessions), DEPS, challenge.challenge_id, None)
        assert shape(again) == shape(existing)
        await service.resend_code(UnitOfWork(sessions), DEPS, again.challenge_id, None)
    assert len(await published(sessions, CodeRequested)) == requested + 4
