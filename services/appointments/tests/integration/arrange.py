"""Arrangements shared by the appointments integration tests: a clinic booked straight into the tables,
and events applied through the consumer's handlers."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appointments import consumers
from services.appointments.front_desk import use_cases as front_desk
from shared.consumer import route_handlers
from shared.messages import Contract, EventEnvelope
from shared.staff import Staff
from shared.unit_of_work import UnitOfWork

MONTREAL_NOON = datetime(2030, 3, 14, 16, 0, tzinfo=UTC)  # 12:00 in Montréal (EDT)
DAY = MONTREAL_NOON.date()
# Every handler of consumers.py, by routing key, as the consumer registers them.
HANDLERS = route_handlers(
    handler for name, handler in vars(consumers).items() if name.startswith("on_") and callable(handler)
)


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
        clerk = Staff(uuid.uuid4(), self.id, "clerk")
        entries = await front_desk.day_list(UnitOfWork(self.sessions), clerk, DAY)
        return {entry.last_name: (entry.profile_icon, entry.card_icon) for entry in entries}


async def deliver(
    sessions: async_sessionmaker[AsyncSession], event: Contract, occurred_at: datetime | None = None
) -> None:
    """What the consumer does once the inbox let an event through: its handler, in one transaction."""
    envelope = event.to_envelope()
    if occurred_at is not None:
        envelope = EventEnvelope(**(envelope.model_dump() | {"occurred_at": occurred_at}))
    async with UnitOfWork(sessions) as uow:
        _contract, handler = HANDLERS[event.routing_key()]
        await handler(uow, event, envelope)
        await uow.commit()
