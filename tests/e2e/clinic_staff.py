"""Clinic staff and same-day slots for the console and validation tests."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from argon2 import PasswordHasher

STAFF_PASSWORD = "console du CLSC de test"


async def add_staff(url: str, establishment_id: uuid.UUID, email: str, role: str) -> None:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(
            "INSERT INTO staff_users (id, establishment_id, role, email, name, password_hash) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            uuid.uuid4(),
            establishment_id,
            role,
            email,
            f"Test {role}",
            PasswordHasher(memory_cost=19456, time_cost=2, parallelism=1).hash(STAFF_PASSWORD),
        )
    finally:
        await conn.close()


async def slot_later_today(url: str, service_id: uuid.UUID) -> uuid.UUID:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        slot = uuid.uuid4()
        local_now = datetime.now(ZoneInfo("America/Montreal"))
        starts = min(local_now + timedelta(minutes=30), local_now.replace(hour=23, minute=45, second=0, microsecond=0))
        await conn.execute(
            "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) "
            "VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '10 minutes', 3)",
            slot,
            service_id,
            starts.astimezone(UTC),
        )
        return slot
    finally:
        await conn.close()


def staff_auth(client: httpx.Client, email: str) -> dict[str, str]:
    login = client.post("/api/staff/sessions", json={"email": email, "password": STAFF_PASSWORD})
    assert login.status_code == 200, login.text
    return {"authorization": f"Bearer {login.json()['access_token']}"}
