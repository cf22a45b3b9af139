"""The booking fast path answers what FastAPI's route answers, and leaves to FastAPI what it does not take."""

import json
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
from pydantic import SecretStr
from starlette.middleware import Middleware

from devstack.testing.apps import app_without_lifespan
from services.appointments.booking import api as booking_fast_path
from services.appointments.booking.api import BookingFastPath
from services.appointments.main import ROUTERS
from services.appointments.refusals import REFUSALS
from services.appointments.tests.integration.test_booking_concurrency import _slot_with_seats
from shared.db import make_engine, make_sessionmaker
from shared.unit_of_work import UnitOfWork

# Differ between any two bookings, whichever path made them.
PER_BOOKING = ("id", "manage_token")


@pytest.fixture
async def apps(clean_databases) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, list[bytes]]]:
    """(with the fast path, FastAPI only, bodies the fast path passed on to FastAPI)."""
    engine = make_engine(clean_databases["appointments"])
    sessions = make_sessionmaker(engine)
    # Bookings per client address are test_booking_sources.py's subject: unlimited here (0).
    settings = SimpleNamespace(
        secret_key=SecretStr("booking-secret"), nam_key=SecretStr("nam-key"), anonymous_bookings_per_source_per_hour=0
    )
    passed_on: list[bytes] = []

    class Recording(BookingFastPath):
        def __init__(self, app):
            async def recorded(scope, receive, send):
                if scope["type"] == "http" and scope["path"] == booking_fast_path.PATH:
                    message = await receive()
                    passed_on.append(message.get("body", b""))
                    await app(scope, booking_fast_path._replay(message.get("body", b"")), send)
                    return
                await app(scope, receive, send)

            super().__init__(recorded)

    clients = []
    for fast in (True, False):
        app = app_without_lifespan("Appointments", ROUTERS, refusals=REFUSALS)
        app.state.runtime = SimpleNamespace(unit_of_work=lambda: UnitOfWork(sessions), settings=settings, engine=engine)
        if fast:
            app.user_middleware.append(Middleware(Recording))
        clients.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://appointments"))
    try:
        yield clients[0], clients[1], passed_on
    finally:
        for client in clients:
            await client.aclose()
        await engine.dispose()


def _booking(slot: uuid.UUID, n: int, **changes) -> dict:
    return {"slot_id": str(slot), "first_name": "Léa", "last_name": "Roy", "email": f"fast{n}@example.org"} | changes


def _comparable(response: httpx.Response) -> tuple[int, dict]:
    body = response.json()
    for key in PER_BOOKING:
        body.pop(key, None)
    body.pop("correlation_id", None)
    return response.status_code, body


async def test_a_booking_gets_the_same_answer_from_both_paths_and_the_fast_path_takes_it(apps, sessions):
    fast, fastapi, passed_on = apps
    slot = await _slot_with_seats(sessions, capacity=5)

    by_fast = await fast.post("/appointments", json=_booking(slot, 1, phone="514 555 0199", language="en"))
    by_fastapi = await fastapi.post("/appointments", json=_booking(slot, 2, phone="514 555 0199", language="en"))

    assert by_fast.status_code == 201, by_fast.text
    assert passed_on == []
    fast_body, fastapi_body = by_fast.json(), by_fastapi.json()
    assert fast_body.pop("id") != fastapi_body.pop("id")
    assert fast_body.pop("manage_token") != fastapi_body.pop("manage_token")
    assert (by_fast.status_code, fast_body) == (by_fastapi.status_code, fastapi_body)
    assert by_fast.headers["content-type"] == by_fastapi.headers["content-type"]


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not-an-address"},
        {"first_name": ""},
        {"unknown_field": 1},
        {"slot_id": "not-a-uuid"},
    ],
)
async def test_a_body_that_does_not_validate_is_answered_by_fastapi(apps, sessions, change):
    fast, fastapi, passed_on = apps
    slot = await _slot_with_seats(sessions, capacity=5)
    body = _booking(slot, 1, **change)

    by_fast = await fast.post("/appointments", json=body)
    by_fastapi = await fastapi.post("/appointments", json=body)

    assert by_fast.status_code == 422
    assert _comparable(by_fast) == _comparable(by_fastapi)
    assert [json.loads(seen) for seen in passed_on] == [body]  # FastAPI got the very body the client sent


async def test_refusals_get_the_same_answer_from_both_paths(apps, sessions):
    fast, fastapi, passed_on = apps
    full = await _slot_with_seats(sessions, capacity=1)
    assert (await fastapi.post("/appointments", json=_booking(full, 0))).status_code == 201

    for slot in (full, uuid.uuid4()):  # no seat left; no such slot
        by_fast = await fast.post("/appointments", json=_booking(slot, 1))
        by_fastapi = await fastapi.post("/appointments", json=_booking(slot, 2))
        assert 400 <= by_fast.status_code < 500
        assert _comparable(by_fast) == _comparable(by_fastapi)
    no_contact = {"slot_id": str(full), "first_name": "Léa", "last_name": "Roy"}
    by_fast = await fast.post("/appointments", json=no_contact)
    assert (by_fast.status_code, by_fast.json()["errors"][0]["field"]) == (422, "email")
    assert _comparable(by_fast) == _comparable(await fastapi.post("/appointments", json=no_contact))
    assert passed_on == []  # refusals by the use case are the fast path's own answers


async def test_requests_it_does_not_take_reach_fastapi_with_their_body(apps, sessions):
    fast, _, passed_on = apps
    slot = await _slot_with_seats(sessions, capacity=5)
    body = _booking(slot, 1)

    first = await fast.post("/appointments", json=body, headers={"Idempotency-Key": "k-1"})
    replay = await fast.post("/appointments", json=body, headers={"Idempotency-Key": "k-1"})
    as_text = await fast.post(
        "/appointments", content=json.dumps(_booking(slot, 2)), headers={"content-type": "text/plain"}
    )

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert as_text.status_code == 422
    assert len(passed_on) == 3
