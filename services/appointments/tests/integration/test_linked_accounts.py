"""Accounts linked by accounts' AccountsLinked see, and act on, each other's appointments."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appointments.booking import use_cases
from services.appointments.booking.rules import Caller
from services.appointments.tests.integration.arrange import Clinic, deliver
from services.appointments.tests.worded import AsTheEdgeWordsIt
from shared.contracts.accounts import AccountDeleted, AccountsLinked
from shared.errors import ApiError
from shared.unit_of_work import UnitOfWork

service = AsTheEdgeWordsIt(use_cases)

SECRET = b"test-manage-token-secret"


async def book(clinic: Clinic, account_id: uuid.UUID) -> uuid.UUID:
    """A booking of the holder themself."""
    return await clinic.book(account_id, account_id, "Test")


async def listed(sessions: async_sessionmaker[AsyncSession], account_id: uuid.UUID) -> set[uuid.UUID]:
    mine = await service.my_appointments(UnitOfWork(sessions), account_id)
    return {a.id for a in mine.upcoming + mine.past}


def deleted(account_id: uuid.UUID) -> AccountDeleted:
    return AccountDeleted(account_id=account_id, dependant_ids=[], email=None, phone=None, language="fr")


async def test_linked_accounts_list_each_others_appointments(sessions):
    clinic = await Clinic(sessions).open()
    first, second, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a, b, c = (
        await book(clinic, first),
        await book(clinic, second),
        await book(clinic, stranger),
    )
    assert await listed(sessions, first) == {a}  # before the link, only what was booked from the account

    event = AccountsLinked(link_group_id=uuid.uuid4(), account_ids=[first, second])
    await deliver(sessions, event)
    await deliver(sessions, event)  # applied twice: the membership is replaced, not duplicated

    assert await listed(sessions, first) == {a, b}
    assert await listed(sessions, second) == {a, b}
    assert await listed(sessions, stranger) == {c}

    # History included: a cancelled appointment of the other account shows among the past ones.
    await service.cancel_appointment(UnitOfWork(sessions), SECRET, b, Caller(account_id=second))
    mine = await service.my_appointments(UnitOfWork(sessions), first)
    assert [x.id for x in mine.upcoming] == [a]
    assert [x.id for x in mine.past] == [b]


async def test_any_account_of_the_group_acts_on_its_appointments_and_no_one_else(sessions):
    clinic = await Clinic(sessions).open()
    first, second, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a, b = await book(clinic, first), await book(clinic, second)

    with pytest.raises(ApiError):  # not linked yet: 404 as for any appointment of someone else
        await service.cancel_appointment(UnitOfWork(sessions), SECRET, b, Caller(account_id=first))

    await deliver(sessions, AccountsLinked(link_group_id=uuid.uuid4(), account_ids=[first, second]))

    with pytest.raises(ApiError):
        await service.cancel_appointment(UnitOfWork(sessions), SECRET, a, Caller(account_id=stranger))
    assert (await service.get_appointment(UnitOfWork(sessions), SECRET, a, Caller(account_id=second))).id == a
    assert (await service.confirm_presence(UnitOfWork(sessions), SECRET, a, Caller(account_id=second))).confirmed
    cancelled = await service.cancel_appointment(UnitOfWork(sessions), SECRET, b, Caller(account_id=first))
    assert cancelled.status == "cancelled"


async def test_merges_replace_membership_and_late_events_are_ignored(sessions):
    clinic = await Clinic(sessions).open()
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a, b, c = (
        await book(clinic, first),
        await book(clinic, second),
        await book(clinic, third),
    )
    now = datetime.now(UTC)
    group, other = uuid.uuid4(), uuid.uuid4()

    await deliver(sessions, AccountsLinked(link_group_id=other, account_ids=[third]), now - timedelta(seconds=2))
    await deliver(sessions, AccountsLinked(link_group_id=group, account_ids=[first, second, third]), now)
    assert await listed(sessions, third) == {a, b, c}

    # The older, smaller membership arriving late does not undo the merge.
    await deliver(
        sessions, AccountsLinked(link_group_id=group, account_ids=[first, second]), now - timedelta(seconds=1)
    )
    assert await listed(sessions, first) == {a, b, c}


async def test_a_deleted_account_leaves_its_group(sessions):
    clinic = await Clinic(sessions).open()
    first, second = uuid.uuid4(), uuid.uuid4()
    a, b = await book(clinic, first), await book(clinic, second)
    await deliver(sessions, AccountsLinked(link_group_id=uuid.uuid4(), account_ids=[first, second]))

    await deliver(sessions, deleted(second))

    assert await listed(sessions, first) == {a}  # b stays with the clinic, no longer with any account
    async with sessions() as session:
        rows = (await session.execute(text("SELECT account_id FROM account_links"))).scalars().all()
    assert rows == [first]
    assert b not in await listed(sessions, second)
