"""Arrangements shared by the appointments integration tests: a clinic booked straight into the tables,
and events applied through the consumer's handlers."""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.testing.apps import app_without_lifespan
from devstack.testing.tokens import access_token, bearer, verifier_with_test_key
from services.appointments import consumers
from services.appointments.front_desk import use_cases as front_desk
from services.appointments.main import ROUTERS
from services.appointments.refusals import REFUSALS
from shared.consumer import route_handlers
from shared.db import make_engine, make_sessionmaker
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
        await HANDLERS[event.routing_key()].handler(uow, [event], [envelope])
        await uow.commit()


@asynccontextmanager
async def served(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Every route of the service as it serves them (same error handlers, tokens verified with the test key),
    without the broker; bookings per client address unlimited (test_booking_sources.py's subject)."""
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    app = app_without_lifespan("Appointments", ROUTERS, refusals=REFUSALS)
    settings = SimpleNamespace(
        secret_key=SecretStr("console-secret"), nam_key=SecretStr("nam-key"), anonymous_bookings_per_source_per_hour=0
    )
    app.state.runtime = SimpleNamespace(
        unit_of_work=lambda: UnitOfWork(sessions), settings=settings, callers=verifier_with_test_key()
    )
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://appointments") as client:
            yield client
    finally:
        await engine.dispose()


def operator_headers(operator_id: uuid.UUID | None = None) -> dict[str, str]:
    """A platform operator's token, as accounts signs it: role operator, no establishment."""
    return bearer(access_token(operator_id or uuid.uuid4(), "staff", extra={"role": "operator"}))


async def events(sessions: async_sessionmaker[AsyncSession], event_type: str) -> list[dict[str, object]]:
    """The payloads of the outbox's events of one type (its routing key's snake_case name), oldest first."""
    async with sessions() as session:
        rows = (
            await session.execute(
                text("SELECT body FROM outbox WHERE routing_key LIKE :key ORDER BY id"), {"key": f"%{event_type}%"}
            )
        ).all()
    return [json.loads(row.body)["payload"] for row in rows]
