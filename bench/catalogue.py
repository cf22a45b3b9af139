"""The benchmark's catalogue, written straight into the appointments database, and the checks read back from it."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

ESTABLISHMENT = {
    "name": "Clinique Banc d'essai",
    "address": "5689, boulevard Rosemont",
    "city": "Montréal",
    "postal_code": "H1T 2H1",
    "timezone": "America/Montreal",
}
SERVICE = {"name_fr": "Prise de sang", "name_en": "Blood test"}
PATIENT = {
    "first_name": "Marie",
    "last_name": "Tremblay",
    "email": "marie.tremblay@example.org",
    "phone": "514 555-0123",
}
SLOT_MINUTES = 15


@dataclass(frozen=True)
class Catalogue:
    establishment_id: uuid.UUID
    service_id: uuid.UUID
    first_starts_at: datetime
    gateway_slots: list[uuid.UUID]
    raw_slots: list[uuid.UUID]


async def insert_catalogue(dsn: str, slots_per_set: int, capacity: int) -> Catalogue:
    establishment, service = uuid.uuid4(), uuid.uuid4()
    first = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    gateway_slots = [uuid.uuid4() for _ in range(slots_per_set)]
    raw_slots = [uuid.uuid4() for _ in range(slots_per_set)]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude, timezone) "
            "VALUES ($1, $2, $3, $4, $5, 45.55, -73.57, $6)",
            establishment,
            *ESTABLISHMENT.values(),
        )
        await conn.execute(
            "INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes) "
            "VALUES ($1, $2, $3, $4, $5)",
            service,
            establishment,
            SERVICE["name_fr"],
            SERVICE["name_en"],
            SLOT_MINUTES,
        )
        await conn.executemany(
            "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity, booked) "
            "VALUES ($1, $2, $3::timestamptz, $3::timestamptz + make_interval(mins => $4::int), $5, 0)",
            [
                (slot, service, first + timedelta(minutes=SLOT_MINUTES * i), SLOT_MINUTES, capacity)
                for i, slot in enumerate(gateway_slots + raw_slots)
            ],
        )
    finally:
        await conn.close()
    return Catalogue(establishment, service, first, gateway_slots, raw_slots)


async def integrity(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            "oversold_slots": await conn.fetchval("SELECT count(*) FROM slots WHERE booked > capacity"),
            "appointments": await conn.fetchval("SELECT count(*) FROM appointments"),
            "booked_seats": await conn.fetchval("SELECT coalesce(sum(booked), 0) FROM slots"),
            "slots_where_appointments_differ_from_booked": await conn.fetchval(
                "SELECT count(*) FROM slots s"
                " LEFT JOIN (SELECT slot_id, count(*) AS n FROM appointments GROUP BY slot_id) a ON a.slot_id = s.id"
                " WHERE coalesce(a.n, 0) <> s.booked"
            ),
        }
    finally:
        await conn.close()


async def delivery_states(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
        return {row["status"]: row["n"] for row in rows}
    finally:
        await conn.close()
