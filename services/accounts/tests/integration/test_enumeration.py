"""Answers that do not tell whether an account exists, or whose address is a staff member's (issue 18,
finding 4): a reset answered `s***@…` for an address with an account and `***` otherwise, its challenge id
was unknown to verification (404) when no account existed, and registering with a staff address said so.

Each answer is compared with the one for a real account, with the events accounts publishes: a decoy
challenge where nothing can be proven, and a message to the owner of a staff address."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.accounts.links.rules import NamVault
from services.accounts.models import accounts, decoy_challenges, staff_users
from services.accounts.profile.use_cases import delete_account
from services.accounts.registration import use_cases as service
from services.accounts.registration.schemas import ChallengeResponse, RegisterAccountRequest
from services.accounts.sessions.use_cases import Deps, PasswordHashing
from services.accounts.settings import AccountsSettings
from services.accounts.tests.answered import ApiError, as_answered
from shared.contracts.accounts import CodeRequested, RegistrationAttemptedOnExistingAccount
from shared.db import make_engine, make_sessionmaker
from shared.outbox import outbox_table
from shared.unit_of_work import UnitOfWork

SETTINGS = AccountsSettings.model_construct()
DEPS = Deps(
    settings=SETTINGS, hashing=PasswordHashing(8192, 1, 1, 1), vault=NamVault(SETTINGS.nam_key.get_secret_value())
)
PASSWORD = "la riviere gele en janvier"


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(clean_databases["accounts"])
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    password_hash = await DEPS.hashing.hash(PASSWORD)
    async with sessions() as session:
        await session.execute(
            insert(accounts).values(
                id=uuid.uuid4(),
                status="active",
                first_name="Sophie",
                last_name="Roy",
                birth_date=date(1990, 1, 2),
                sex="F",
                email="Sophie.Roy@example.org",
                phone="+15145550111",
                language="en",
                password_hash=password_hash,
            )
        )
        await session.execute(
            insert(staff_users).values(
                id=uuid.uuid4(),
                email="commis@clinique.example",
                name="Claire Commis",
                password_hash="not-a-real-hash",
            )
        )
        await session.commit()


async def published(sessions: async_sessionmaker[AsyncSession], contract: type) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await session.execute(
            select(outbox_table.c.body).where(outbox_table.c.routing_key == contract.routing_key())
        )
        return [json.loads(body)["payload"] for body in rows.scalars()]


def shape(answer: ChallengeResponse) -> dict[str, Any]:
    """What may differ between two answers is only the fresh challenge id."""
    return answer.model_dump(exclude={"challenge_id"})


async def reset(sessions, identifier: str) -> ChallengeResponse:
    return await service.request_password_reset(
        UnitOfWork(sessions), DEPS, identifier, "un autre mot de passe bien long"
    )


async def test_a_reset_answers_the_same_with_or_without_an_account_and_its_challenge_always_exists(sessions):
    await seed(sessions)
    existing = await reset(sessions, "sophie.roy@example.org")
    unknown = await reset(sessions, "sylvie.roy@example.org")
    by_phone = await reset(sessions, "514 555-0111")
    unknown_phone = await reset(sessions, "514 555-0199")

    assert shape(existing) == {"channel": "email", "sent_to": "s***@example.org", "warnings": []}
    assert shape(unknown) == shape(existing)
    assert shape(by_phone) == {"channel": "sms", "sent_to": "***0111", "warnings": []}
    assert shape(unknown_phone) == {"channel": "sms", "sent_to": "***0199", "warnings": []}

    requests = {uuid.UUID(event["request_id"]): event for event in await published(sessions, CodeRequested)}
    # Every answered id is a challenge verification will know; where there is no account, a decoy.
    assert set(requests) == {a.challenge_id for a in (existing, unknown, by_phone, unknown_phone)}
    assert [requests[a.challenge_id]["decoy"] for a in (existing, unknown, by_phone, unknown_phone)] == [
        False,
        True,
        False,
        True,
    ]
    # The code goes where the identifier typed points, on the account.
    assert requests[existing.challenge_id]["destination"] == "Sophie.Roy@example.org"
    assert requests[by_phone.challenge_id]["destination"] == "+15145550111"


def registration(email: str) -> RegisterAccountRequest:
    return RegisterAccountRequest(
        first_name="Claire",
        last_name="Tremblay",
        birth_date=date(1991, 3, 4),
        sex="F",
        email=email,
        password=PASSWORD,
    )


async def test_registering_with_a_taken_or_a_staff_address_answers_like_a_new_registration(sessions):
    await seed(sessions)
    new = await service.register_account(UnitOfWork(sessions), DEPS, registration("claire.t@example.org"))
    taken = await service.register_account(UnitOfWork(sessions), DEPS, registration("sophie.roy@example.org"))
    staff = await service.register_account(UnitOfWork(sessions), DEPS, registration("Commis@Clinique.example"))

    assert shape(new) == {"channel": "email", "sent_to": "c***@example.org", "warnings": []}
    assert shape(taken) == {"channel": "email", "sent_to": "s***@example.org", "warnings": []}
    assert shape(staff) == {"channel": "email", "sent_to": "c***@clinique.example", "warnings": []}

    requests = {uuid.UUID(event["request_id"]): event for event in await published(sessions, CodeRequested)}
    assert {a.challenge_id: requests[a.challenge_id]["decoy"] for a in (new, taken, staff)} == {
        new.challenge_id: False,
        taken.challenge_id: True,
        staff.challenge_id: True,
    }
    notices = await published(sessions, RegistrationAttemptedOnExistingAccount)
    assert sorted((n["destination"], n["staff_account"]) for n in notices) == [
        ("commis@clinique.example", True),
        ("sophie.roy@example.org", False),
    ]
    async with sessions() as session:
        emails = set((await session.execute(select(accounts.c.email))).scalars())
    assert emails == {"Sophie.Roy@example.org", "claire.t@example.org"}


async def test_resending_a_decoy_code_answers_as_for_a_pending_change_and_deletion_erases_it(sessions):
    await seed(sessions)
    existing = await reset(sessions, "sophie.roy@example.org")
    unknown = await reset(sessions, "sylvie.roy@example.org")
    taken = await service.register_account(UnitOfWork(sessions), DEPS, registration("sophie.roy@example.org"))

    resent = {
        name: await service.resend_code(UnitOfWork(sessions), DEPS, answer.challenge_id, None)
        for name, answer in (("existing", existing), ("unknown", unknown), ("taken", taken))
    }
    assert shape(resent["existing"]) == shape(resent["unknown"]) == shape(resent["taken"]) == shape(existing)
    requests = {uuid.UUID(event["request_id"]): event for event in await published(sessions, CodeRequested)}
    assert requests[resent["unknown"].challenge_id]["resend_of"] == str(unknown.challenge_id)
    assert requests[resent["unknown"].challenge_id]["decoy"] is True
    assert requests[resent["unknown"].challenge_id]["destination"] == "sylvie.roy@example.org"
    # The new id resends again, the old one no more, as with a pending change.
    again = await service.resend_code(UnitOfWork(sessions), DEPS, resent["unknown"].challenge_id, None)
    assert shape(again) == shape(existing)
    for spent in (unknown.challenge_id, existing.challenge_id, uuid.uuid4()):
        with pytest.raises(ApiError) as refused, as_answered():
            await service.resend_code(UnitOfWork(sessions), DEPS, spent, None)
        assert refused.value.status == 404

    # The typed addresses are kept encrypted, and erased with their owner's account.
    async with sessions() as session:
        stored = (await session.execute(select(decoy_challenges))).all()
        owner = (await session.execute(select(accounts.c.id))).scalar_one()
    assert len(stored) == 2
    assert not any("@" in row.destination_encrypted for row in stored)
    await delete_account(UnitOfWork(sessions), DEPS, owner, PASSWORD)
    async with sessions() as session:
        left = (await session.execute(select(decoy_challenges.c.destination_encrypted))).scalars().all()
    assert [DEPS.vault.reveal_contact(value) for value in left] == ["sylvie.roy@example.org"]
