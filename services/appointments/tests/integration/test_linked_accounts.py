"""Accounts linked by accounts' AccountsLinked see, and act on, each other's appointments."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appointments import service
from services.appointments.consumers import handlers
from services.appointments.service import Caller
from shared.contracts.accounts import AccountDeleted, AccountsLinked
from shared.db import make_engine, make_sessionmaker
from shared.errors import DomainError
from shared.messages import Contract, EventEnvelope
from shared.unit_of_work import UnitOfWork

STARTS = datetime(2030, 3, 14, 16, 0, tzinfo=UTC)
SECRET = b"test-manage-token-secret"


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(clean_databases["appointments"])
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


class Clinic:
    """One establishment and service; books straight into the tables, one slot per appointment."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.id, self.service_id = uuid.uuid4(), uuid.uuid4()
        self.booked = 0

    async def open(self) -> "Clinic":
        async with self.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude) "
                    "VALUES (:id, 'CLSC Test', '1 rue Test', 'Laval', 'H7N 1A1', 45.6, -73.7)"
                ),
                {"id": self.id},
            )
            await session.execute(
                text(
                    "INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes) "
                    "VALUES (:id, :e, 'Vaccination', 'Vaccination', 15)"
                ),
                {"id": self.service_id, "e": self.id},
            )
            await session.commit()
        return self

    async def book(self, account_id: uuid.UUID) -> uuid.UUID:
        slot, appointment = uuid.uuid4(), uuid.uuid4()
        starts = STARTS + timedelta(minutes=15 * self.booked)
        self.booked += 1
        async with self.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity, booked) "
                    "VALUES (:id, :s, :a, :b, 1, 1)"
                ),
                {"id": slot, "s": self.service_id, "a": starts, "b": starts + timedelta(minutes=15)},
            )
            await session.execute(
                text(
                    "INSERT INTO appointments (id, slot_id, account_id, person_id, person_key, during, first_name, "
                    "last_name, email, language) VALUES (:id, :slot, :account, :account, :key, tstzrange(:a, :b), "
                    "'Thomas', 'Test', 'p@example.org', 'fr')"
                ),
                {
                    "id": appointment,
                    "slot": slot,
                    "account": account_id,
                    "key": f"person:{account_id}",
                    "a": starts,
                    "b": starts + timedelta(minutes=15),
                },
            )
            await session.commit()
        return appointment


async def deliver(
    sessions: async_sessionmaker[AsyncSession], event: Contract, occurred_at: datetime | None = None
) -> None:
    envelope = event.to_envelope()
    if occurred_at is not None:
        envelope = EventEnvelope(**(envelope.model_dump() | {"occurred_at": occurred_at}))
    async with UnitOfWork(sessions) as uow:
        await handlers()[type(event)](uow, event, envelope)
        await uow.commit()


async def listed(sessions: async_sessionmaker[AsyncSession], account_id: uuid.UUID) -> set[uuid.UUID]:
    mine = await service.my_appointments(UnitOfWork(sessions), account_id)
    return {a.id for a in mine.upcoming + mine.past}


def deleted(account_id: uuid.UUID) -> AccountDeleted:
    return AccountDeleted(account_id=account_id, dependant_ids=[], email=None, phone=None, language="fr")


async def test_linked_accounts_list_each_others_appointments(sessions):
    clinic = await Clinic(sessions).open()
    first, second, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a, b, c = await clinic.book(first), await clinic.book(second), await clinic.book(stranger)
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
    a, b = await clinic.book(first), await clinic.book(second)

    with pytest.raises(DomainError):  # not linked yet: 404 as for any appointment of someone else
        await service.cancel_appointment(UnitOfWork(sessions), SECRET, b, Caller(account_id=first))

    await deliver(sessions, AccountsLinked(link_group_id=uuid.uuid4(), account_ids=[first, second]))

    with pytest.raises(DomainError):
        await service.cancel_appointment(UnitOfWork(sessions), SECRET, a, Caller(account_id=stranger))
    assert (await service.get_appointment(UnitOfWork(sessions), SECRET, a, Caller(account_id=second))).id == a
    assert (await service.confirm_presence(UnitOfWork(sessions), SECRET, a, Caller(account_id=second))).confirmed
    cancelled = await service.cancel_appointment(UnitOfWork(sessions), SECRET, b, Caller(account_id=first))
    assert cancelled.status == "cancelled"


async def test_merges_replace_membership_and_late_events_are_ignored(sessions):
    clinic = await Clinic(sessions).open()
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a, b, c = await clinic.book(first), await clinic.book(second), await clinic.book(third)
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
    a, b = await clinic.book(first), await clinic.book(second)
    await deliver(sessions, AccountsLinked(link_group_id=uuid.uuid4(), account_ids=[first, second]))

    await deliver(sessions, deleted(second))

    assert await listed(sessions, first) == {a}  # b stays with the clinic, no longer with any account
    async with sessions() as session:
        rows = (await session.execute(text("SELECT account_id FROM account_links"))).scalars().all()
    assert rows == [first]
    assert b not in await listed(sessions, second)
