"""Bookings without an account are limited per client address (issue 18, finding 6): before, one address
could book and cancel without end, each round sending two messages to any mailbox."""

import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import text
from starlette.middleware import Middleware

from devstack.testing.apps import app_without_lifespan
from services.appointments.booking.api import BookingFastPath
from services.appointments.booking.use_cases import forget_past_booking_sources
from services.appointments.main import ROUTERS
from services.appointments.refusals import REFUSALS
from services.appointments.settings import AppointmentsSettings
from services.appointments.tests.integration.test_booking_concurrency import _slot_with_seats
from shared.db import make_engine, make_sessionmaker
from shared.unit_of_work import UnitOfWork

LIMIT = 3
ATTACKER, NEIGHBOUR, LOAD = "203.0.113.7", "198.51.100.20", "127.0.0.1"


@pytest.fixture
async def client(clean_databases) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    """The service's routes behind its booking fast path, as main.create_app stacks them."""
    engine = make_engine(clean_databases["appointments"])
    sessions = make_sessionmaker(engine)
    settings = AppointmentsSettings(
        environment="test",
        database_url=clean_databases["appointments"],
        anonymous_bookings_per_source_per_hour=LIMIT,
        unlimited_booking_sources=frozenset({LOAD}),
    )
    app = app_without_lifespan("Appointments", ROUTERS, refusals=REFUSALS)
    app.state.runtime = SimpleNamespace(unit_of_work=lambda: UnitOfWork(sessions), settings=settings, engine=engine)
    app.user_middleware.append(Middleware(BookingFastPath))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://appointments") as http:
        yield http, sessions
    await engine.dispose()


def _booking(slot: uuid.UUID) -> dict:
    n = uuid.uuid4().hex[:8]
    return {"slot_id": str(slot), "first_name": "Léa", "last_name": "Roy", "email": f"lea.{n}@example.org"}


async def _book(http: httpx.AsyncClient, slot: uuid.UUID, source: str | None, **headers: str) -> httpx.Response:
    sent = {"X-Client-Ip": source, **headers} if source else headers
    return await http.post("/appointments", json=_booking(slot), headers=sent)


async def test_one_address_books_only_so_many_an_hour_without_an_account(client):
    http, sessions = client
    slot = await _slot_with_seats(sessions, 100)
    # Both the fast path (plain JSON) and FastAPI's route (with an Idempotency-Key) count.
    answers = [await _book(http, slot, ATTACKER) for _ in range(2)]
    answers.append(await _book(http, slot, ATTACKER, **{"Idempotency-Key": uuid.uuid4().hex}))
    assert [a.status_code for a in answers] == [201] * LIMIT

    for headers in ({}, {"Idempotency-Key": uuid.uuid4().hex}):
        refused = await _book(http, slot, ATTACKER, **{"Accept-Language": "en", **headers})
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 3600
        [error] = refused.json()["errors"]
        assert error["code"] == "too_many_bookings"
        assert error["message"]["fr"].startswith("Trop de rendez-vous ont été pris sans compte")
        assert refused.json()["detail"] == error["message"]["en"]

    # Another address, and a listed load generator.
    assert (await _book(http, slot, NEIGHBOUR)).status_code == 201
    assert all([(await _book(http, slot, LOAD)).status_code == 201 for _ in range(LIMIT + 1)])


async def _by_both_paths(http: httpx.AsyncClient, slot: uuid.UUID, sources: list[str | None]) -> list[int]:
    """Alternately through the fast path (plain JSON) and FastAPI's route (with an Idempotency-Key)."""
    statuses = []
    for n, source in enumerate(sources):
        headers = {"Idempotency-Key": uuid.uuid4().hex} if n % 2 else {}
        statuses.append((await _book(http, slot, source, **headers)).status_code)
    return statuses


async def test_bookings_without_a_readable_address_share_one_limit(client):
    """Before, a request without X-Client-Ip was not counted at all: leaving the header out, straight to the
    service's port, booked and mailed without end. Now it and any garbage in the header share one bucket."""
    http, sessions = client
    slot = await _slot_with_seats(sessions, 100)
    assert await _by_both_paths(http, slot, [None] * LIMIT) == [201] * LIMIT
    # Leaving it out again, or rotating values that are no address, finds the same bucket full.
    garbage = [None, None, "unknown", "not-an-address", "203.0.113.300", "", "x" * 200]
    assert await _by_both_paths(http, slot, garbage) == [429] * len(garbage)
    assert (await _book(http, slot, NEIGHBOUR)).status_code == 201


async def test_rotating_ipv6_addresses_within_a_slash_64_hits_the_same_limit(client):
    """Before, each address was its own source: a subscriber's /64 gave 2**64 fresh allowances."""
    http, sessions = client
    slot = await _slot_with_seats(sessions, 100)
    rotated = [f"2001:db8:1:2:{n:x}:{n * 7:x}::{n + 1:x}" for n in range(LIMIT + 2)]
    assert await _by_both_paths(http, slot, rotated) == [201] * LIMIT + [429, 429]
    # The next /64 is another subscriber.
    assert (await _book(http, slot, "2001:db8:1:3::1")).status_code == 201


async def test_the_address_is_kept_as_a_keyed_digest_and_forgotten_once_its_hour_is_past(client):
    http, sessions = client
    slot = await _slot_with_seats(sessions, 10)
    assert (await _book(http, slot, ATTACKER)).status_code == 201
    async with sessions() as session:
        rows = (await session.execute(text("SELECT source_hmac, bookings FROM booking_sources"))).all()
        assert [row.bookings for row in rows] == [1]
        assert ATTACKER not in rows[0].source_hmac
        # The address's count moved to the last hour, at the limit.
        await session.execute(
            text("UPDATE booking_sources SET hour = hour - interval '1 hour', bookings = :limit"), {"limit": LIMIT}
        )
        await session.commit()
    # A past hour's count is not read: the address books again in this one.
    assert (await _book(http, slot, ATTACKER)).status_code == 201
    # The periodic step (main.py) forgets the past hour, and only it: this hour's count stays.
    assert await forget_past_booking_sources(UnitOfWork(sessions)) == 1
    assert await forget_past_booking_sources(UnitOfWork(sessions)) == 0
    async with sessions() as session:
        left = (await session.execute(text("SELECT bookings FROM booking_sources"))).scalars().all()
    assert left == [1]
