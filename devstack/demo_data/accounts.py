"""Demo staff, so the console can be tried: a platform operator, and a clerk and a manager of the demo CLSC, each
with a second factor already enrolled. Idempotent.

`make run` prints these credentials, with each one's TOTP secret (to add to an authenticator app) and the command
that prints their current code (devstack/totp.py). Passwords are plain passphrases (no colon or slash, which read
as separators when printed), and each run sets them and the secrets again, so the printed ones work on databases
kept from earlier runs too. The operator is created as the command line creates one (`create-operator`, audited);
the clinic staff are written directly, as appointing them would take an e-mailed invitation."""

import asyncio
import contextlib
import sys
import uuid
from dataclasses import dataclass

import asyncpg
from argon2 import PasswordHasher

from devstack.demo_data.appointments import ESTABLISHMENT_ID
from devstack.supervisor import stack_setting
from services.accounts.links.rules import NamVault
from services.accounts.sessions.rules import AlreadyStaff
from services.accounts.sessions.use_cases import Deps, PasswordHashing, create_operator
from services.accounts.settings import AccountsSettings
from shared.db import asyncpg_dsn, make_engine, make_sessionmaker
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class DemoStaff:
    id: uuid.UUID
    role: str  # clerk | manager (staff_roles.role at the demo CLSC), or operator
    email: str
    name: str
    password: str
    # Published, like the password: anyone may compute a demo account's codes (`python -m devstack.totp`).
    totp_secret: str


CLERK = DemoStaff(
    id=uuid.UUID("3c9a4f0e-6d1b-4e8a-9a51-2f7c1d0b9e01"),
    role="clerk",
    email="commis@clsc-des-faubourgs.example",
    name="Commis de démonstration",
    password="FrontDesk-Faubourgs-2026",  # noqa: S106 - published demo credential
    totp_secret="E7GST4C7PUGYIS7HE35RANDJQB7PDRBN",  # noqa: S106 - published demo credential
)
MANAGER = DemoStaff(
    id=uuid.UUID("3c9a4f0e-6d1b-4e8a-9a51-2f7c1d0b9e02"),
    role="manager",
    email="gestionnaire@clsc-des-faubourgs.example",
    name="Gestionnaire de démonstration",
    password="Manager-Faubourgs-2026",  # noqa: S106 - published demo credential
    totp_secret="KNGTS64CXKNWL5IV7WAJSSHJGQ5SPPGZ",  # noqa: S106 - published demo credential
)
OPERATOR = DemoStaff(
    id=uuid.UUID("3c9a4f0e-6d1b-4e8a-9a51-2f7c1d0b9e03"),  # as created on an empty database: see below
    role="operator",
    email="operateur@plateforme.example",
    name="Opératrice de démonstration",
    password="Operatrice-Plateforme-2026",  # noqa: S106 - published demo credential
    totp_secret="NGJFPW4SXJXCSCIQWFFNYEXU3H2527U3",  # noqa: S106 - published demo credential
)
CLINIC_STAFF = (CLERK, MANAGER)
DEMO_STAFF = (OPERATOR, MANAGER, CLERK)
CLERK_EMAIL, CLERK_PASSWORD = CLERK.email, CLERK.password
MANAGER_EMAIL, MANAGER_PASSWORD = MANAGER.email, MANAGER.password


def _hasher() -> PasswordHasher:
    defaults = AccountsSettings.model_fields
    return PasswordHasher(
        memory_cost=defaults["argon2_memory_kib"].default,
        time_cost=defaults["argon2_time_cost"].default,
        parallelism=defaults["argon2_parallelism"].default,
    )


def _nam_key(database_url: str, nam_key: str | None) -> str:
    key = nam_key or stack_setting(database_url, "ACCOUNTS_NAM_KEY")
    if key is None:
        raise LookupError("the accounts service's NAM key (it encrypts TOTP secrets) is needed to load demo staff")
    return key


async def load_demo_staff(database_url: str, nam_key: str | None = None) -> None:
    """`nam_key`: the accounts service's (ACCOUNTS_NAM_KEY), which encrypts the TOTP secrets; by default the one
    of the stack this process made on that database."""
    vault = NamVault(_nam_key(database_url, nam_key))
    hasher = _hasher()
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        for staff in CLINIC_STAFF:
            async with conn.transaction():
                await conn.execute(
                    """INSERT INTO staff_users (id, email, name, password_hash, totp_secret_encrypted, totp_enrolled_at)
                    VALUES ($1, $2, $3, $4, $5, now())
                    ON CONFLICT (id) DO UPDATE SET password_hash = EXCLUDED.password_hash,
                      totp_secret_encrypted = EXCLUDED.totp_secret_encrypted,
                      totp_enrolled_at = coalesce(staff_users.totp_enrolled_at, now())""",
                    staff.id,
                    staff.email,
                    staff.name,
                    hasher.hash(staff.password),
                    vault.protect_contact(staff.totp_secret)[0],
                )
                await conn.execute(
                    """INSERT INTO staff_roles (staff_id, establishment_id, role) VALUES ($1, $2, $3)
                    ON CONFLICT (staff_id, establishment_id) DO UPDATE SET role = EXCLUDED.role, disabled_at = NULL""",
                    staff.id,
                    ESTABLISHMENT_ID,
                    staff.role,
                )
        operator_id = await conn.fetchval("SELECT id FROM staff_users WHERE lower(email) = lower($1)", OPERATOR.email)
    finally:
        await conn.close()
    if operator_id is None:
        await _create_operator(database_url, vault)
    else:
        await _reset_operator(database_url, vault, hasher)


async def _create_operator(database_url: str, vault: NamVault) -> None:
    """As `python -m services.accounts.cli create-operator … --totp-secret …` does: audited (its event waits in
    the outbox until accounts starts)."""
    settings = AccountsSettings.model_construct()
    defaults = AccountsSettings.model_fields
    hashing = PasswordHashing(defaults["argon2_memory_kib"].default, defaults["argon2_time_cost"].default, 1, 1)
    engine = make_engine(database_url)
    try:
        with contextlib.suppress(AlreadyStaff):  # created meanwhile
            await create_operator(
                UnitOfWork(make_sessionmaker(engine)),
                Deps(settings=settings, hashing=hashing, vault=vault),
                OPERATOR.email,
                OPERATOR.name,
                OPERATOR.password,
                totp_secret=OPERATOR.totp_secret,
                staff_id=OPERATOR.id,
            )
    finally:
        await engine.dispose()


async def _reset_operator(database_url: str, vault: NamVault, hasher: PasswordHasher) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute(
            """UPDATE staff_users SET password_hash = $2, totp_secret_encrypted = $3, operator = true,
              totp_enrolled_at = coalesce(totp_enrolled_at, now())
            WHERE lower(email) = lower($1)""",
            OPERATOR.email,
            hasher.hash(OPERATOR.password),
            vault.protect_contact(OPERATOR.totp_secret)[0],
        )
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(load_demo_staff(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
