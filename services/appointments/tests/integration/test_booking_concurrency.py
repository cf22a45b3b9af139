"""Hundreds of concurrent bookings for the last seats never oversell a slot."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from services.appointments.booking import use_cases
from services.appointments.booking.schemas import BookAppointmentRequest
from services.appointments.tests.worded import AsTheEdgeWordsIt
from shared.db import make_engine, make_sessionmaker
from shared.errors import ApiError
from shared.unit_of_work import UnitOfWork

# Refusals as the HTTP edge words them: the outcomes are the answers' codes.
book_appointment = AsTheEdgeWordsIt(use_cases).book_appointment
from_anonymous = use_cases.from_anonymous


async def _slot_with_seats(sessions, capacity: int) -> uuid.UUID:
    establishment, service, slot = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with sessions() as session:
        await session.execute(
            text(
                "INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude) "
                "VALUES (:id, 'CLSC Test', '1 rue Test', 'Laval', 'H7N 1A1', 45.6, -73.7)"
            ),
            {"id": establishment},
        )
        await session.execute(
            text(
                "INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes) "
                "VALUES (:id, :e, 'Vaccination', 'Vaccination', 15)"
            ),
            {"id": service, "e": establishment},
        )
        starts = datetime.now(UTC) + timedelta(days=1)
        await session.execute(
            text("INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) VALUES (:id, :s, :a, :b, :c)"),
            {"id": slot, "s": service, "a": starts, "b": starts + timedelta(minutes=15), "c": capacity},
        )
        await session.commit()
    return slot


async def test_two_hundred_concurrent_bookings_for_five_seats(clean_databases):
    engine = make_engine(clean_databases["appointments"], pool_size=20)
    sessions = make_sessionmaker(engine)
    try:
        slot = await _slot_with_seats(sessions, capacity=5)

        async def attempt(i: int) -> str:
            request = BookAppointmentRequest(slot_id=slot, first_name="A", last_name="B", email=f"p{i}@example.org")
            try:
                await book_appointment(UnitOfWork(sessions), b"secret", from_anonymous(request))
                return "booked"
            except ApiError as refused:
                return refused.code

        outcomes = await asyncio.gather(*(attempt(i) for i in range(200)))
        assert outcomes.count("booked") == 5
        assert outcomes.count("slot_full") == 195
        async with sessions() as session:
            booked = (await session.execute(text("SELECT booked FROM slots WHERE id = :id"), {"id": slot})).scalar()
            appointments = (await session.execute(text("SELECT count(*) FROM appointments"))).scalar()
            events = (await session.execute(text("SELECT count(*) FROM outbox"))).scalar()
        assert (booked, appointments, events) == (5, 5, 5)
    finally:
        await engine.dispose()


async def test_the_same_person_cannot_hold_two_overlapping_appointments_even_concurrently(clean_databases):
    engine = make_engine(clean_databases["appointments"], pool_size=20)
    sessions = make_sessionmaker(engine)
    try:
        slots = [await _slot_with_seats(sessions, capacity=50) for _ in range(2)]  # both at the same time

        async def attempt(slot: uuid.UUID) -> str:
            request = BookAppointmentRequest(slot_id=slot, first_name="A", last_name="B", email="Same@Example.org")
            try:
                await book_appointment(UnitOfWork(sessions), b"secret", from_anonymous(request))
                return "booked"
            except ApiError as refused:
                return refused.code

        outcomes = await asyncio.gather(*(attempt(slots[i % 2]) for i in range(20)))
        assert outcomes.count("booked") == 1
        assert set(outcomes) == {"booked", "overlapping_appointment"}
        async with sessions() as session:
            seats = (await session.execute(text("SELECT sum(booked) FROM slots"))).scalar()
        assert seats == 1  # refused attempts released the seat they had claimed
    finally:
        await engine.dispose()
