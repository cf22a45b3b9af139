"""Verification's events, applied through the consumer's handlers, colour the Suivi list's icons."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appointments import service
from services.appointments.consumers import handlers
from shared.contracts.accounts import AccountDeleted
from shared.contracts.verification import (
    AssociationRevoked,
    AssociationValidated,
    IdentityInvalidated,
    IdentityValidated,
)
from shared.db import make_engine, make_sessionmaker
from shared.messages import Contract, EventEnvelope
from shared.unit_of_work import UnitOfWork

MONTREAL_NOON = datetime(2030, 3, 14, 16, 0, tzinfo=UTC)  # 12:00 in Montréal (EDT)
DAY = MONTREAL_NOON.date()


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(clean_databases["appointments"])
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


class Clinic:
    """One establishment and service; books appointments straight into the tables."""

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

    async def book(self, account_id: uuid.UUID | None, person_id: uuid.UUID | None, last_name: str) -> uuid.UUID:
        """One slot per appointment, 15 minutes apart, so the list's order is the booking order."""
        slot, appointment = uuid.uuid4(), uuid.uuid4()
        starts = MONTREAL_NOON + timedelta(minutes=15 * self.booked)
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
                    "last_name, email, language) VALUES (:id, :slot, :account, :person, :key, tstzrange(:a, :b), "
                    "'Patient', :last, 'p@example.org', 'fr')"
                ),
                {
                    "id": appointment,
                    "slot": slot,
                    "account": account_id,
                    "person": person_id,
                    "key": f"person:{person_id}" if person_id else f"email:{uuid.uuid4()}@example.org",
                    "a": starts,
                    "b": starts + timedelta(minutes=15),
                    "last": last_name,
                },
            )
            await session.commit()
        return appointment

    async def icons(self) -> dict[str, tuple[str, str]]:
        entries = await service.day_list(UnitOfWork(self.sessions), self.id, DAY)
        return {entry.last_name: (entry.profile_icon, entry.card_icon) for entry in entries}


async def deliver(
    sessions: async_sessionmaker[AsyncSession], event: Contract, occurred_at: datetime | None = None
) -> None:
    """What the consumer does once the inbox let an event through: its handler, in one transaction."""
    envelope = event.to_envelope()
    if occurred_at is not None:
        envelope = EventEnvelope(**(envelope.model_dump() | {"occurred_at": occurred_at}))
    async with UnitOfWork(sessions) as uow:
        await handlers()[type(event)](uow, event, envelope)
        await uow.commit()


def identity_validated(account_id: uuid.UUID) -> IdentityValidated:
    return IdentityValidated(
        validation_id=uuid.uuid4(),
        account_id=account_id,
        establishment_id=uuid.uuid4(),
        fingerprint="f" * 64,
        nam_hmac=None,
        validated_at=datetime.now(UTC),
    )


def association_validated(account_id: uuid.UUID, person_id: uuid.UUID) -> AssociationValidated:
    return AssociationValidated(
        validation_id=uuid.uuid4(),
        account_id=account_id,
        person_id=person_id,
        establishment_id=uuid.uuid4(),
        validated_at=datetime.now(UTC),
    )


async def test_icons_follow_verification_events(sessions):
    clinic = await Clinic(sessions).open()
    holder, child = uuid.uuid4(), uuid.uuid4()
    await clinic.book(None, None, "Anonyme")
    await clinic.book(holder, holder, "Holder")
    await clinic.book(holder, child, "Child")

    # Nothing validated yet: grey for the booking without account, red elsewhere.
    assert await clinic.icons() == {"Anonyme": ("grey", "grey"), "Holder": ("red", "red"), "Child": ("red", "red")}

    await deliver(sessions, identity_validated(holder))
    assert await clinic.icons() == {
        "Anonyme": ("grey", "grey"),
        "Holder": ("green", "green"),  # own booking: the card follows the profile
        "Child": ("green", "red"),  # the holder is known, the child's association not yet
    }

    await deliver(sessions, association_validated(holder, child))
    assert (await clinic.icons())["Child"] == ("green", "green")

    await deliver(sessions, IdentityInvalidated(account_id=holder, reason="profile_changed"))
    assert await clinic.icons() == {
        "Anonyme": ("grey", "grey"),
        "Holder": ("red", "red"),
        "Child": ("red", "green"),  # verification revokes the association by its own event, if it must
    }

    await deliver(sessions, AssociationRevoked(account_id=holder, person_id=child, reason="dependant_removed"))
    assert (await clinic.icons())["Child"] == ("red", "red")


async def test_the_entry_carries_the_ids_the_console_needs(sessions):
    clinic = await Clinic(sessions).open()
    holder, child = uuid.uuid4(), uuid.uuid4()
    appointment = await clinic.book(holder, child, "Child")

    [entry] = await service.day_list(UnitOfWork(sessions), clinic.id, DAY)
    assert (entry.id, entry.account_id, entry.person_id, entry.booked_with_account) == (
        appointment,
        holder,
        child,
        True,
    )
    assert set(entry.model_dump(mode="json")) >= {"account_id", "person_id", "profile_icon", "card_icon"}


async def test_an_older_event_arriving_late_does_not_undo_a_newer_one(sessions):
    clinic = await Clinic(sessions).open()
    holder, child = uuid.uuid4(), uuid.uuid4()
    await clinic.book(holder, holder, "Holder")
    await clinic.book(holder, child, "Child")
    now = datetime.now(UTC)

    await deliver(sessions, IdentityInvalidated(account_id=holder, reason="profile_changed"), now)
    await deliver(sessions, identity_validated(holder), now - timedelta(seconds=5))  # stale, redelivered late
    assert (await clinic.icons())["Holder"] == ("red", "red")

    await deliver(sessions, AssociationRevoked(account_id=holder, person_id=child, reason="dependant_removed"), now)
    await deliver(sessions, association_validated(holder, child), now - timedelta(seconds=5))
    assert (await clinic.icons())["Child"] == ("red", "red")

    # A newer validation does apply.
    await deliver(sessions, identity_validated(holder), now + timedelta(seconds=5))
    await deliver(sessions, association_validated(holder, child), now + timedelta(seconds=5))
    assert await clinic.icons() == {"Holder": ("green", "green"), "Child": ("green", "green")}


async def test_identity_validated_before_anything_was_booked_still_shows(sessions):
    clinic = await Clinic(sessions).open()
    holder = uuid.uuid4()
    await deliver(sessions, identity_validated(holder))  # validated at another clinic, earlier
    await clinic.book(holder, holder, "Holder")
    assert await clinic.icons() == {"Holder": ("green", "green")}


async def test_a_deleted_account_leaves_grey_rows_and_no_states(sessions):
    clinic = await Clinic(sessions).open()
    holder, child = uuid.uuid4(), uuid.uuid4()
    await clinic.book(holder, child, "Child")
    await deliver(sessions, identity_validated(holder))
    await deliver(sessions, association_validated(holder, child))

    await deliver(
        sessions,
        AccountDeleted(account_id=holder, dependant_ids=[child], email="p@example.org", phone=None, language="fr"),
    )
    assert await clinic.icons() == {"Child": ("grey", "grey")}
    async with sessions() as session:
        left = (
            await session.execute(
                text("SELECT (SELECT count(*) FROM identity_states) + (SELECT count(*) FROM association_states)")
            )
        ).scalar()
    assert left == 0
