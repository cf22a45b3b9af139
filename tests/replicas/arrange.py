"""What the replica tests set up and read back: a clinic with slots, and the databases' own counts."""

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg


def plain_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@dataclass(frozen=True)
class Clinic:
    service_id: uuid.UUID
    slots: list[uuid.UUID]


async def open_clinic(appointments_url: str, first_slot_at: datetime, slots: int, capacity: int) -> Clinic:
    """One establishment and service with `slots` consecutive 15-minute slots of `capacity` seats."""
    conn = await asyncpg.connect(plain_dsn(appointments_url))
    try:
        establishment, service = uuid.uuid4(), uuid.uuid4()
        await conn.execute(
            """INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude)
            VALUES ($1, 'CLSC Répliques', '1, rue du Test', 'Montréal', 'H2X 1Y4', 45.51, -73.57)""",
            establishment,
        )
        await conn.execute(
            "INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes) "
            "VALUES ($1, $2, 'Vaccination', 'Vaccination', 15)",
            service,
            establishment,
        )
        slot_ids = [uuid.uuid4() for _ in range(slots)]
        await conn.executemany(
            "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) VALUES "
            "($1, $2, $3::timestamptz + make_interval(mins => $4), "
            "$3::timestamptz + make_interval(mins => $4 + 15), $5)",
            [(slot, service, first_slot_at, 15 * i, capacity) for i, slot in enumerate(slot_ids)],
        )
        return Clinic(service, slot_ids)
    finally:
        await conn.close()


async def fetch(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(plain_dsn(url))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def seats_against_appointments(appointments_url: str, service_id: uuid.UUID) -> list[asyncpg.Record]:
    """Per slot: the seat counter and the appointments that hold a seat (every live status)."""
    return await fetch(
        appointments_url,
        """SELECT s.id, s.booked, s.capacity,
                  count(a.id) FILTER (WHERE a.status <> 'cancelled') AS live
           FROM slots s LEFT JOIN appointments a ON a.slot_id = s.id
           WHERE s.service_id = $1 GROUP BY s.id, s.booked, s.capacity""",
        service_id,
    )


async def unpublished_events(database_urls: dict[str, str]) -> dict[str, int]:
    counts = {}
    for service, url in database_urls.items():
        rows = await fetch(url, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
        counts[service] = rows[0]["n"]
    return counts
