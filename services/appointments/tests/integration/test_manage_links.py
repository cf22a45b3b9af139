"""A manage link (the token in the messages of a booking made without an account) stops working after a
cancel, after a reschedule (which issues a new one), and a day after the appointment's start."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest
from icalendar import Calendar
from pydantic import SecretStr
from sqlalchemy import text

from devstack.testing.apps import app_without_lifespan
from services.appointments.main import ROUTERS
from services.appointments.refusals import REFUSALS
from services.appointments.tests.integration.test_booking_concurrency import _slot_with_seats
from shared.db import make_engine, make_sessionmaker
from shared.unit_of_work import UnitOfWork


@pytest.fixture
async def client(clean_databases) -> AsyncIterator[httpx.AsyncClient]:
    engine = make_engine(clean_databases["appointments"])
    sessions = make_sessionmaker(engine)
    app = app_without_lifespan("Appointments", ROUTERS, refusals=REFUSALS)
    # Bookings per client address are test_booking_sources.py's subject: unlimited here (0).
    settings = SimpleNamespace(
        secret_key=SecretStr("manage-secret"), nam_key=SecretStr("nam-key"), anonymous_bookings_per_source_per_hour=0
    )
    app.state.runtime = SimpleNamespace(unit_of_work=lambda: UnitOfWork(sessions), settings=settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://appointments") as c:
            yield c
    finally:
        await engine.dispose()


async def _book(client: httpx.AsyncClient, slot: uuid.UUID) -> tuple[str, str]:
    body = {"slot_id": str(slot), "first_name": "Léa", "last_name": "Roy", "email": f"{uuid.uuid4().hex}@example.org"}
    booked = await client.post("/appointments", json=body)
    assert booked.status_code == 201, booked.text
    return booked.json()["id"], booked.json()["manage_token"]


async def _works(client: httpx.AsyncClient, appointment_id: str, token: str) -> bool:
    answer = await client.get(f"/appointments/{appointment_id}.ics", params={"token": token})
    assert answer.status_code in (200, 404), answer.text
    return answer.status_code == 200


async def test_a_cancelled_appointments_link_stops_working(client, sessions):
    appointment_id, token = await _book(client, await _slot_with_seats(sessions, capacity=5))
    assert await _works(client, appointment_id, token)

    cancelled = await client.post(f"/appointments/{appointment_id}/cancel", json={"token": token})
    assert cancelled.status_code == 200, cancelled.text

    assert not await _works(client, appointment_id, token)
    for action in ("confirm", "cancel"):
        refused = await client.post(f"/appointments/{appointment_id}/{action}", json={"token": token})
        assert refused.status_code == 404


async def test_a_reschedule_issues_a_new_link_and_the_old_one_stops(client, sessions):
    appointment_id, old_token = await _book(client, await _slot_with_seats(sessions, capacity=5))
    other_slot = await _slot_with_seats(sessions, capacity=5)

    moved = await client.post(
        f"/appointments/{appointment_id}/reschedule", json={"slot_id": str(other_slot), "token": old_token}
    )
    assert moved.status_code == 200, moved.text

    async with sessions() as session:
        body = (
            await session.execute(
                text("SELECT body FROM outbox WHERE routing_key LIKE '%appointment_rescheduled%' ORDER BY id DESC")
            )
        ).scalar_one()
    new_token = json.loads(body)["payload"]["manage_token"]  # what the reschedule notice links to
    assert new_token != old_token
    assert moved.json()["manage_token"] == new_token  # and the answer to whoever moved it with the link
    assert not await _works(client, appointment_id, old_token)
    again = await client.post(
        f"/appointments/{appointment_id}/reschedule", json={"slot_id": str(other_slot), "token": old_token}
    )
    assert again.status_code == 404
    assert await _works(client, appointment_id, new_token)


async def test_a_link_expires_a_day_after_the_appointments_start(client, sessions):
    slot = await _slot_with_seats(sessions, capacity=5)
    appointment_id, token = await _book(client, slot)
    async with sessions() as session:  # the appointment took place the day before yesterday
        await session.execute(
            text(
                "UPDATE slots SET starts_at = now() - interval '49 hours', ends_at = now() - interval '48 hours' "
                "WHERE id = :id"
            ),
            {"id": slot},
        )
        await session.commit()
    assert not await _works(client, appointment_id, token)

    async with sessions() as session:  # yesterday: still within the day after its start
        await session.execute(
            text(
                "UPDATE slots SET starts_at = now() - interval '23 hours', ends_at = now() - interval '22 hours' "
                "WHERE id = :id"
            ),
            {"id": slot},
        )
        await session.commit()
    assert await _works(client, appointment_id, token)


async def test_the_link_shows_its_appointment_until_it_stops_working(client, sessions):
    appointment_id, token = await _book(client, await _slot_with_seats(sessions, capacity=5))

    shown = await client.get(f"/appointments/{appointment_id}", params={"token": token})
    assert shown.status_code == 200, shown.text
    assert (shown.json()["id"], shown.json()["status"], shown.json()["first_name"]) == (appointment_id, "booked", "Léa")
    assert "manage_token" not in shown.json()
    assert (await client.get(f"/appointments/{appointment_id}", params={"token": "forged"})).status_code == 404

    assert (await client.post(f"/appointments/{appointment_id}/cancel", json={"token": token})).status_code == 200
    assert (await client.get(f"/appointments/{appointment_id}", params={"token": token})).status_code == 404


async def test_the_calendar_file_has_the_stamp_rfc_5545_requires(client, sessions):
    appointment_id, token = await _book(client, await _slot_with_seats(sessions, capacity=5))
    answer = await client.get(f"/appointments/{appointment_id}.ics", params={"token": token})
    [event] = Calendar.from_ical(answer.content).walk("VEVENT")
    stamp = event.decoded("dtstamp")
    assert stamp.tzinfo is not None
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
