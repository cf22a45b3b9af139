"""A clinic's identity validation links every account carrying the same NAM, and tells the others."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.accounts.consumers import PersonalDataHandlers
from services.accounts.links.rules import NamVault
from services.accounts.links.use_cases import linked_account_ids
from services.accounts.models import account_links, accounts
from services.accounts.settings import AccountsSettings
from shared.contracts.accounts import (
    AccountsLinked,
    DependantIdentified,
    HolderNoticeRequested,
    NamDiscrepancyFound,
)
from shared.contracts.verification import IdentityValidated
from shared.db import make_engine, make_sessionmaker
from shared.inbox import record_once
from shared.messages import EventEnvelope
from shared.outbox import outbox_table
from shared.unit_of_work import UnitOfWork

NAM = "TEST54122816"
OTHER_NAM = "TEST12542819"
SETTINGS = AccountsSettings.model_construct()  # the dev defaults; linking needs no JWT key
VAULT = NamVault(SETTINGS.nam_key.get_secret_value())
LINKED = AccountsLinked.routing_key()


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(clean_databases["accounts"])
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


async def open_account(sessions: async_sessionmaker[AsyncSession], nam: str | None) -> uuid.UUID:
    account_id = uuid.uuid4()
    encrypted, digest = VAULT.protect(nam)
    async with sessions() as session:
        await session.execute(
            insert(accounts).values(
                id=account_id,
                status="active",
                first_name="Thomas",
                last_name="Test",
                birth_date=date(1954, 12, 28),
                sex="M",
                nam_encrypted=encrypted,
                nam_hmac=digest,
                email=f"{account_id}@example.org",
                language="fr",
                password_hash="not-a-real-hash",
            )
        )
        await session.commit()
    return account_id


def validated(account_id: uuid.UUID, nam: str | None, validation_id: uuid.UUID | None = None) -> EventEnvelope:
    """The event as verification publishes it: its HMAC key is derived like the accounts' NamVault."""
    return IdentityValidated(
        validation_id=validation_id or uuid.uuid4(),
        account_id=account_id,
        establishment_id=uuid.uuid4(),
        fingerprint="f" * 64,
        nam_hmac=VAULT.protect(nam)[1],
        validated_at=datetime.now(UTC),
    ).to_envelope()


async def deliver(sessions: async_sessionmaker[AsyncSession], envelope: EventEnvelope) -> None:
    """What the consumer does with a delivery: inbox, handler, one commit."""
    async with UnitOfWork(sessions) as uow:
        if await record_once(uow.session, envelope):
            event = IdentityValidated.model_validate(envelope.payload)
            await PersonalDataHandlers(VAULT).on_identity_validated(uow, event, envelope)
            await uow.commit()


async def links_published(sessions: async_sessionmaker[AsyncSession]) -> list[dict]:
    async with sessions() as session:
        rows = await session.execute(
            select(outbox_table.c.body).where(outbox_table.c.routing_key == LINKED).order_by(outbox_table.c.id)
        )
        return [json.loads(body) for body in rows.scalars()]


async def groups(sessions: async_sessionmaker[AsyncSession]) -> dict[uuid.UUID, uuid.UUID]:
    async with sessions() as session:
        return {row.account_id: row.group_id for row in await session.execute(select(account_links))}


async def test_validation_links_the_accounts_with_the_same_nam_and_tells_the_others(sessions):
    first, second = await open_account(sessions, NAM), await open_account(sessions, NAM)
    stranger = await open_account(sessions, OTHER_NAM)
    no_nam = await open_account(sessions, None)

    await deliver(sessions, validated(first, NAM))

    linked = await groups(sessions)
    assert set(linked) == {first, second}
    assert linked[first] == linked[second]
    assert stranger not in linked
    assert no_nam not in linked

    [published] = await links_published(sessions)
    assert published["payload"] == {
        "link_group_id": str(linked[first]),
        "account_ids": sorted([str(first), str(second)]),
    }
    body = json.dumps(published)
    assert NAM not in body
    assert "nam" not in body.lower()

    async with UnitOfWork(sessions) as uow:
        assert await linked_account_ids(uow, first) == [second]
        assert await linked_account_ids(uow, stranger) == []


async def test_replays_and_repeated_validations_change_nothing(sessions):
    first, second = await open_account(sessions, NAM), await open_account(sessions, NAM)
    envelope = validated(second, NAM)

    await deliver(sessions, envelope)
    before = await groups(sessions)
    await deliver(sessions, envelope)  # redelivered: the inbox drops it
    await deliver(sessions, validated(first, NAM))  # validated again at another clinic: same membership

    assert await groups(sessions) == before
    assert len(await links_published(sessions)) == 1


async def test_a_later_account_joins_the_group_and_groups_merge(sessions):
    first, second = await open_account(sessions, NAM), await open_account(sessions, NAM)
    await deliver(sessions, validated(first, NAM))
    group = (await groups(sessions))[first]

    third = await open_account(sessions, NAM)
    await deliver(sessions, validated(third, NAM))

    assert await groups(sessions) == {first: group, second: group, third: group}
    latest = (await links_published(sessions))[-1]["payload"]
    assert latest == {"link_group_id": str(group), "account_ids": sorted(str(a) for a in (first, second, third))}


async def test_validation_without_nam_or_without_a_twin_links_nothing(sessions):
    alone = await open_account(sessions, NAM)
    other = await open_account(sessions, OTHER_NAM)
    await deliver(sessions, validated(alone, NAM))
    await deliver(sessions, validated(other, None))

    assert await groups(sessions) == {}
    assert await links_published(sessions) == []


async def test_a_deleted_account_leaves_its_group(sessions):
    first, second = await open_account(sessions, NAM), await open_account(sessions, NAM)
    await deliver(sessions, validated(first, NAM))

    async with sessions() as session:
        await session.execute(delete(accounts).where(accounts.c.id == second))
        await session.commit()

    assert set(await groups(sessions)) == {first}


async def published(sessions: async_sessionmaker[AsyncSession], contract: type) -> list[dict]:
    async with sessions() as session:
        rows = await session.execute(
            select(outbox_table.c.body)
            .where(outbox_table.c.routing_key == contract.routing_key())
            .order_by(outbox_table.c.id)
        )
        return [json.loads(body)["payload"] for body in rows.scalars()]


async def test_a_nam_typed_by_the_clerk_links_nothing_unless_it_is_the_account_own(sessions):
    """Issue 18, finding 2: a clerk validating Bob with Alice's NAM linked Bob to Alice's accounts. Linking
    follows the NAM the holder entered; a clerk's reading that differs is a discrepancy the holder corrects."""
    alice, alice_again = await open_account(sessions, NAM), await open_account(sessions, NAM)
    bob = await open_account(sessions, OTHER_NAM)
    no_nam = await open_account(sessions, None)
    wrong_reading = uuid.uuid4()

    await deliver(sessions, validated(bob, NAM, wrong_reading))
    await deliver(sessions, validated(no_nam, NAM))

    assert await groups(sessions) == {}
    assert await links_published(sessions) == []
    assert await published(sessions, DependantIdentified) == []  # nor Alice's bookings in Bob's history
    # Bob is asked to check his NAM; an account without one has nothing the reading contradicts.
    assert await published(sessions, NamDiscrepancyFound) == [
        {"account_id": str(bob), "validation_id": str(wrong_reading)}
    ]
    notices = await published(sessions, HolderNoticeRequested)
    assert [(n["account_id"], n["topic"]) for n in notices] == [(str(bob), "nam_discrepancy")]
    assert NAM not in json.dumps(notices)

    # The clerk reads Alice's own card: her accounts link, on the NAM she entered.
    await deliver(sessions, validated(alice, NAM))
    assert set(await groups(sessions)) == {alice, alice_again}
    [identified] = await published(sessions, DependantIdentified)
    assert identified == {
        "account_id": str(alice),
        "person_id": str(alice),
        "identity_key": VAULT.identity_key(VAULT.protect(NAM)[1], date(1954, 12, 28)),
    }
