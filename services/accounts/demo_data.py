"""Demo staff: one clerk at the demo CLSC, so the admin console can be tried. Idempotent."""

import asyncio
import sys
import uuid

import asyncpg
from argon2 import PasswordHasher

from services.accounts.settings import AccountsSettings
from services.appointments.demo_data import ESTABLISHMENT_ID
from shared.db import asyncpg_dsn

CLERK_ID = uuid.UUID("3c9a4f0e-6d1b-4e8a-9a51-2f7c1d0b9e01")
CLERK_EMAIL = "commis@clsc-des-faubourgs.example"
CLERK_PASSWORD = "demo: front desk of the Faubourgs CLSC"  # noqa: S105 - published demo credential


async def load_demo_staff(database_url: str) -> None:
    defaults = AccountsSettings.model_fields
    hasher = PasswordHasher(
        memory_cost=defaults["argon2_memory_kib"].default,
        time_cost=defaults["argon2_time_cost"].default,
        parallelism=defaults["argon2_parallelism"].default,
    )
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute(
            """INSERT INTO staff_users (id, establishment_id, role, email, name, password_hash)
            VALUES ($1, $2, 'clerk', $3, 'Commis de démonstration', $4) ON CONFLICT (id) DO NOTHING""",
            CLERK_ID,
            ESTABLISHMENT_ID,
            CLERK_EMAIL,
            hasher.hash(CLERK_PASSWORD),
        )
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(load_demo_staff(sys.argv[1]))
