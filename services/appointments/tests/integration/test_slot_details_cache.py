"""The booking reads a slot's details from a short-lived per-process cache: a stale entry never books wrong times."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from services.appointments.booking import use_cases
from services.appointments.booking.schemas import BookAppointmentRequest
from services.appointments.booking.use_cases import SLOT_DETAILS, from_anonymous
from services.appointments.tests.integration.test_booking_concurrency import _slot_with_seats
from services.appointments.tests.worded import AsTheEdgeWordsIt
from shared.errors import ApiError
from shared.unit_of_work import UnitOfWork

book_appointment = AsTheEdgeWordsIt(use_cases).book_appointment


async def _book(sessions, slot, n: int):
    request = BookAppointmentRequest(slot_id=slot, first_name="A", last_name="B", email=f"cache{n}@example.org")
    booked, _ = await book_appointment(UnitOfWork(sessions), b"secret", from_anonymous(request))
    return booked


async def test_a_slot_moved_after_it_was_cached_is_booked_at_its_new_times(sessions):
    slot = await _slot_with_seats(sessions, capacity=5)
    first = await _book(sessions, slot, 0)
    assert SLOT_DETAILS.get(slot) is not None
    async with sessions() as session:
        await session.execute(
            text("UPDATE slots SET starts_at = starts_at + interval '1 hour', ends_at = ends_at + interval '1 hour' "
                 "WHERE id = :id"),
            {"id": slot},
        )  # fmt: skip
        await session.commit()

    second = await _book(sessions, slot, 1)

    assert second.starts_at == first.starts_at + timedelta(hours=1)
    async with sessions() as session:
        row = (
            await session.execute(
                text(
                    "SELECT upper(a.during) AS ends, (o.body::jsonb #>> '{payload,starts_at}')::timestamptz AS event "
                    "FROM appointments a JOIN outbox o ON (o.body::jsonb #>> '{payload,appointment_id}')::uuid = a.id "
                    "WHERE a.id = :id"
                ),
                {"id": second.id},
            )
        ).one()
        booked = (await session.execute(text("SELECT booked FROM slots WHERE id = :id"), {"id": slot})).scalar()
    assert row.event == second.starts_at
    assert row.ends == second.ends_at
    assert booked == 2
    assert SLOT_DETAILS.get(slot).starts_at == second.starts_at


async def test_a_full_slot_is_refused_as_full_from_the_cache(sessions):
    slot = await _slot_with_seats(sessions, capacity=1)
    await _book(sessions, slot, 0)
    assert SLOT_DETAILS.get(slot) is not None
    with pytest.raises(ApiError) as refused:
        await _book(sessions, slot, 1)
    assert (refused.value.status, refused.value.code) == (409, "slot_full")


async def test_a_deleted_slot_is_unknown_even_when_cached(sessions):
    slot = await _slot_with_seats(sessions, capacity=3)
    await _book(sessions, slot, 0)
    async with sessions() as session:
        await session.execute(text("DELETE FROM appointments WHERE slot_id = :id"), {"id": slot})
        await session.execute(text("DELETE FROM slots WHERE id = :id"), {"id": slot})
        await session.commit()
    with pytest.raises(ApiError) as refused:
        await _book(sessions, slot, 1)
    assert refused.value.code == "unknown_slot"
