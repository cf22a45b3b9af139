"""Demo staff at the demo CLSC, so the admin console can be tried: a clerk and a manager. Idempotent.

`make run` prints these credentials. Passwords are plain passphrases (no colon or slash, which read as
separators when printed), and each run sets them again, so the printed ones work on databases kept from
earlier runs too."""

import asyncio
import sys
import uuid
from dataclasses import dataclass

import asyncpg
from argon2 import PasswordHasher

from devstack.demo_data.appointments import ESTABLISHMENT_ID
from services.accounts.settings import AccountsSettings
from shared.db import asyncpg_dsn


@dataclass(frozen=True)
class DemoStaff:
    id: uuid.UUID
    role: str  # clerk | manager, as staff_users.role
    email: str
    name: str
    password: str


CLERK = DemoStaff(
    id=uuid.UUID("3c9a4f0e-6d1b-4e8a-9a51-2f7c1d0b9e01"),
    role="clerk",
    email="commis@clsc-des-faubourgs.example",
    name="Commis de démonstration",
    password="FrontDesk-Faubourgs-2026",  # noqa: S106 - published demo credential
)
MANAGER = DemoStaff(
    id=uuid.UUID("3c9a4f0e-6d1b-4e8a-9a51-2f7c1d0b9e02"),
    role="manager",
    email="gestionnaire@clsc-des-faubourgs.example",
    name="Gestionnaire de démonstration",
    password="Manager-Faubourgs-2026",  # noqa: S106 - published demo credential
)
DEMO_STAFF = (CLERK, MANAGER)
CLERK_EMAIL, CLERK_PASSWORD = CLERK.email, CLERK.password
MANAGER_EMAIL, MANAGER_PASSWORD = MANAGER.email, MANAGER.password


async def load_demo_staff(database_url: str) -> None:
    defaults = AccountsSettings.model_fields
    hasher = PasswordHasher(
        memory_cost=defaults["argon2_memory_kib"].default,
        time_cost=defaults["argon2_time_cost"].default,
        parallelism=defaults["argon2_parallelism"].default,
    )
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        for staff in DEMO_STAFF:
            await conn.execute(
                """INSERT INTO staff_users (id, establishment_id, role, email, name, password_hash)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (id) DO UPDATE SET role = EXCLUDED.role, password_hash = EXCLUDED.password_hash""",
                staff.id,
                ESTABLISHMENT_ID,
                staff.role,
                staff.email,
                staff.name,
                hasher.hash(staff.password),
            )
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(load_demo_staff(sys.argv[1]))
