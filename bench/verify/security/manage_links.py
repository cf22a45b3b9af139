"""Manage links and the NAM a booking form hands back (issue 18, finding 12).

A booking made without an account is managed with the token its messages link to. The attacks: a token
computed from the secret published in shared/settings.py (which `make run` used to run with), a token used
again after the appointment was cancelled, the token of a time the appointment was moved away from, and a
token used more than a day after the appointment's start (set in the database: the probe cannot wait that
long). Each succeeds when the appointments service recognises the token: confirming is harmless, and any
answer but 404 (a 409 "already cancelled" included) says the token still opens the appointment. Last, a
signed-in citizen's /api/me/booking-form must not give their full NAM back to the browser (/api/me masks it).

On the code before the fix all five got through (the verify stack ran on the published secret; the token
after a cancel got 409).
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from bench.verify.environment import VerifyEnvironment
from services.appointments.booking.rules import manage_token
from shared.settings import DEV_SECRET
from tests.e2e.conftest import _add_slot


def _book(client: httpx.Client, slot: uuid.UUID) -> tuple[str, str]:
    body = {
        "slot_id": str(slot),
        "first_name": "Lina",
        "last_name": "Gagnon",
        "email": f"manage.{uuid.uuid4().hex[:10]}@example.org",
    }
    booked = client.post("/api/appointments", json=body)
    assert booked.status_code == 201, f"booking for the probe: {booked.status_code} {booked.text[:200]}"
    return booked.json()["id"], booked.json()["manage_token"]


def _acts(client: httpx.Client, appointment_id: str, token: str) -> int:
    return client.post(f"/api/appointments/{appointment_id}/confirm", json={"token": token}).status_code


def _recognised(status: int) -> bool:
    """Anything but "no such appointment for this token": a 409 (already cancelled) still says the token works."""
    return status != 404


async def _move_to_the_past(database_url: str, slot: uuid.UUID) -> None:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute(
            "UPDATE slots SET starts_at = now() - interval '49 hours', ends_at = now() - interval '48 hours' "
            "WHERE id = $1",
            slot,
        )
    finally:
        await conn.close()


def probe(env: VerifyEnvironment) -> dict[str, Any]:
    database = env.database_urls["appointments"]
    service = env.clinics[1].catalogue.service_id
    later = datetime.now(UTC) + timedelta(days=5)

    def new_slot(hours: int) -> uuid.UUID:
        return asyncio.run(_add_slot(database, service, later + timedelta(hours=hours), 10))

    got_through: dict[str, int] = {}
    controls: dict[str, int] = {}
    with env.client() as client:
        appointment, token = _book(client, new_slot(0))
        forged = manage_token(DEV_SECRET.encode(), uuid.UUID(appointment))
        if forged != token and _recognised(status := _acts(client, appointment, forged)):
            got_through["token computed from the published dev secret"] = status
        if forged == token:
            got_through["the stack's secret is the published one"] = 200
        controls["the real token, before the cancel"] = _acts(client, appointment, token)
        client.post(f"/api/appointments/{appointment}/cancel", json={"token": token})
        if _recognised(status := _acts(client, appointment, token)):
            got_through["token used again after the cancel"] = status

        appointment, token = _book(client, new_slot(2))
        moved = client.post(
            f"/api/appointments/{appointment}/reschedule", json={"slot_id": str(new_slot(4)), "token": token}
        )
        controls["reschedule with the token"] = moved.status_code
        if _recognised(status := _acts(client, appointment, token)):
            got_through["token of the time the appointment moved away from"] = status

        past = new_slot(6)
        appointment, token = _book(client, past)
        asyncio.run(_move_to_the_past(database, past))
        if _recognised(status := _acts(client, appointment, token)):
            got_through["token two days after the appointment's start"] = status

        citizen = env.new_citizen()
        form = client.get("/api/me/booking-form", headers=citizen.headers)
        controls["booking form"] = form.status_code
        if form.status_code == 200 and citizen.nam in str(form.json()):
            got_through["full NAM in /api/me/booking-form"] = form.status_code
    controls_ok = controls == {
        "the real token, before the cancel": 200,
        "reschedule with the token": 200,
        "booking form": 200,
    }
    return {
        "passed": controls_ok and not got_through,
        "tried": [
            "a token computed from the published dev secret",
            "the token after a cancel",
            "the old token after a reschedule",
            "a token two days after the appointment's start",
            "the booking form's NAM",
        ],
        "got_through": got_through,
        "controls": controls,
    }
