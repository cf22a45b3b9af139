"""A form submitted twice at once (a double click) with its Idempotency-Key books once, and both answers are
that booking: neither the key's unique index nor the person's no-overlap rule turns the twin into a refusal."""

import asyncio
import uuid

from sqlalchemy import text

from services.appointments.tests.integration.test_booking_concurrency import _slot_with_seats
from services.appointments.tests.integration.test_manage_links import client  # noqa: F401 - the fixture


async def test_the_same_request_sent_five_times_at_once_books_once(client, sessions):  # noqa: F811
    slot = await _slot_with_seats(sessions, capacity=5)
    body = {"slot_id": str(slot), "first_name": "Léa", "last_name": "Roy", "email": f"{uuid.uuid4().hex}@example.org"}
    key = str(uuid.uuid4())

    answers = await asyncio.gather(
        *(client.post("/appointments", json=body, headers={"Idempotency-Key": key}) for _ in range(5))
    )

    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    async with sessions() as session:
        booked = (await session.execute(text("SELECT booked FROM slots WHERE id = :id"), {"id": slot})).scalar()
    assert booked == 1
