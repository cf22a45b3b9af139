"""The booking hot path talks to asyncpg directly: a connection the server dropped must not stay in the pool."""

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.appointments.booking.queries import CONNECTION_LOST
from services.appointments.booking.schemas import BookAppointmentRequest
from services.appointments.booking.use_cases import book_appointment, from_anonymous
from services.appointments.tests.integration.test_booking_concurrency import _slot_with_seats
from shared.db import asyncpg_dsn, make_sessionmaker
from shared.unit_of_work import UnitOfWork


async def _drop_connections(database_url: str) -> int:
    """Terminates every server backend of the service's database, as a PostgreSQL restart would."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()) AS dropped"
        )
    finally:
        await conn.close()


async def test_a_dropped_connection_fails_one_booking_then_the_pool_reconnects(clean_databases):
    url = clean_databases["appointments"]
    # One pooled connection, so the next booking would get the dead one back if it were not invalidated.
    engine = create_async_engine(url, pool_size=1, max_overflow=0)
    sessions = make_sessionmaker(engine)
    try:
        slot = await _slot_with_seats(sessions, capacity=10)

        async def book(n: int) -> None:
            request = BookAppointmentRequest(slot_id=slot, first_name="A", last_name="B", email=f"p{n}@example.org")
            await book_appointment(UnitOfWork(sessions), b"secret", from_anonymous(request))

        await book(0)
        assert await _drop_connections(url) >= 1
        with pytest.raises(CONNECTION_LOST):
            await book(1)
        await book(2)
        await book(3)
        async with sessions() as session:
            booked = (await session.execute(text("SELECT booked FROM slots WHERE id = :id"), {"id": slot})).scalar()
        assert booked == 3
    finally:
        await engine.dispose()
