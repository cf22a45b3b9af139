import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync, truncate_all
from tests.e2e.browser import browser, page  # noqa: F401 - fixtures for the browser tests
from tests.e2e.clinic_staff import add_staff, slot_soon


@dataclass(frozen=True)
class Catalogue:
    establishment_id: uuid.UUID
    service_id: uuid.UUID
    open_slot: uuid.UUID
    open_slot_starts_at: datetime
    past_slot: uuid.UUID
    full_slot: uuid.UUID


async def _insert_catalogue(url: str) -> Catalogue:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        establishment, service = uuid.uuid4(), uuid.uuid4()
        open_slot, past_slot, full_slot = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        # 10:30 Montréal time (15:30 UTC in winter), three days from now.
        starts = (datetime.now(UTC) + timedelta(days=3)).replace(hour=15, minute=30, second=0, microsecond=0)
        await conn.execute(
            """INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude)
            VALUES ($1, 'Clinique Test Rosemont', '5689, boulevard Rosemont', 'Montréal', 'H1T 2H1', 45.55, -73.57)""",
            establishment,
        )
        await conn.execute(
            "INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes) "
            "VALUES ($1, $2, 'Prise de sang', 'Blood test', 15)",
            service,
            establishment,
        )
        slots = [
            (open_slot, starts, 1000, 0),
            (past_slot, datetime.now(UTC) - timedelta(hours=1), 5, 0),
            (full_slot, starts + timedelta(minutes=15), 1, 1),
        ]
        await conn.executemany(
            "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity, booked) "
            "VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '15 minutes', $4, $5)",
            [(sid, service, at, capacity, booked) for sid, at, capacity, booked in slots],
        )
        return Catalogue(establishment, service, open_slot, starts, past_slot, full_slot)
    finally:
        await conn.close()


@pytest.fixture
def system(stack: Supervisor, mail_sink: MailSink) -> Supervisor:
    """The running stack with empty databases and an empty mailbox."""
    truncate_all(stack.config.database_urls)
    return stack


@pytest.fixture
def catalogue(system: Supervisor) -> Catalogue:
    return run_sync(_insert_catalogue(system.config.database_urls["appointments"]))


def booking(slot_id: uuid.UUID, **overrides: object) -> dict[str, object]:
    return {
        "slot_id": str(slot_id),
        "first_name": "Marie",
        "last_name": "Tremblay",
        # A fresh address each time: a late message from an earlier test never lands in this one's box.
        "email": f"marie.tremblay+{uuid.uuid4().hex[:8]}@example.org",
        "phone": "514 555-0123",
        **overrides,
    }


async def db_counts(system: Supervisor) -> dict[str, int]:
    conn = await asyncpg.connect(system.config.database_urls["appointments"].replace("+asyncpg", ""))
    try:
        return {
            "appointments": await conn.fetchval("SELECT count(*) FROM appointments"),
            "outbox": await conn.fetchval("SELECT count(*) FROM outbox"),
            "booked_seats": await conn.fetchval("SELECT coalesce(sum(booked), 0) FROM slots"),
            "unpublished": await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"),
        }
    finally:
        await conn.close()


async def _add_slot(url: str, service_id: uuid.UUID, starts: datetime, capacity: int) -> uuid.UUID:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        slot = uuid.uuid4()
        await conn.execute(
            "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) "
            "VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '15 minutes', $4)",
            slot,
            service_id,
            starts,
            capacity,
        )
        return slot
    finally:
        await conn.close()


def add_slot(
    system: Supervisor, catalogue: Catalogue, days: int, hour_utc: int, capacity: int, minute: int = 0
) -> uuid.UUID:
    starts = (datetime.now(UTC) + timedelta(days=days)).replace(hour=hour_utc, minute=minute, second=0, microsecond=0)
    return run_sync(_add_slot(system.config.database_urls["appointments"], catalogue.service_id, starts, capacity))


async def slot_seats(system: Supervisor, slot_id: uuid.UUID) -> int:
    conn = await asyncpg.connect(system.config.database_urls["appointments"].replace("+asyncpg", ""))
    try:
        return await conn.fetchval("SELECT booked FROM slots WHERE id = $1", slot_id)
    finally:
        await conn.close()


@pytest.fixture
def clinics(system: Supervisor, catalogue: Catalogue):
    """Two clinics with a soon-starting slot and a clerk each."""
    urls = system.config.database_urls
    other = run_sync(_insert_catalogue(urls["appointments"]))
    slots = {}
    for clinic, email in ((catalogue, "x@clinique-x.example"), (other, "y@clinique-y.example")):
        run_sync(add_staff(urls["accounts"], clinic.establishment_id, email, "clerk"))
        slots[clinic.establishment_id] = run_sync(slot_soon(urls["appointments"], clinic.service_id))
    return catalogue, other, slots
