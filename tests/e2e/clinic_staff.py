"""Clinic staff and soon-starting slots for the console and validation tests."""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from argon2 import PasswordHasher
from playwright.sync_api import Locator, Page, expect

STAFF_PASSWORD = "console du CLSC de test"
MONTREAL = ZoneInfo("America/Montreal")


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


@dataclass(frozen=True)
class ClinicSlot:
    id: uuid.UUID
    day: date  # the clinic's local date of the slot, the day to open in the console


async def slot_soon(url: str, service_id: uuid.UUID) -> ClinicSlot:
    """A slot starting in 30 minutes: still bookable, and on tomorrow's list when the clinic's day is nearly over."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        slot = uuid.uuid4()
        starts = datetime.now(MONTREAL) + timedelta(minutes=30)
        await conn.execute(
            "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) "
            "VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '10 minutes', 3)",
            slot,
            service_id,
            starts.astimezone(UTC),
        )
        return ClinicSlot(slot, starts.date())
    finally:
        await conn.close()


def staff_auth(client: httpx.Client, email: str) -> dict[str, str]:
    login = client.post("/api/staff/sessions", json={"email": email, "password": STAFF_PASSWORD})
    assert login.status_code == 200, login.text
    return {"authorization": f"Bearer {login.json()['access_token']}"}


def log_in(page: Page, gateway: str, email: str, path: str = "/admin") -> None:
    """Signs in on the console's sign-in page, which a page of the console sends to (and back from)."""
    page.goto(gateway + path)
    expect(page.get_by_role("heading", name="Connexion du personnel")).to_be_visible()
    page.get_by_label("Courriel professionnel").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Connexion du personnel")).to_have_count(0)


def suivi_row(page: Page, patient: str) -> Locator:
    return page.locator("table.rvs-suivi tbody tr").filter(has_text=patient)
