"""The demo staff `make run` prints: an operator, and a clerk and a manager of the demo CLSC, whose printed
passwords and TOTP secrets work, also on a database kept from a run that set other ones."""

import asyncpg
import pyotp
from argon2 import PasswordHasher

from devstack.__main__ import demo_staff_lines
from devstack.demo_data.accounts import CLERK, DEMO_STAFF, MANAGER, OPERATOR, load_demo_staff
from devstack.demo_data.appointments import ESTABLISHMENT_ID
from devstack.totp import secret_of
from services.accounts.links.rules import NamVault
from shared.contracts.accounts import StaffAccessChanged
from shared.db import asyncpg_dsn

NAM_KEY = "clé NAM de la pile de démonstration"


async def _staff(url: str) -> dict[str, asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch(
            "SELECT s.id, s.email, s.password_hash, s.operator, s.totp_secret_encrypted, r.establishment_id, r.role"
            " FROM staff_users s LEFT JOIN staff_roles r ON r.staff_id = s.id AND r.disabled_at IS NULL"
        )
    finally:
        await connection.close()
    return {row["email"]: row for row in rows}


async def _outbox(url: str) -> list[str]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return [row["routing_key"] for row in await connection.fetch("SELECT routing_key FROM outbox")]
    finally:
        await connection.close()


async def test_an_operator_and_a_clerk_and_a_manager_of_the_demo_clsc_with_the_printed_credentials(clean_databases):
    url = clean_databases["accounts"]
    await load_demo_staff(url, NAM_KEY)
    staff = await _staff(url)
    vault = NamVault(NAM_KEY)

    assert {email: (row["role"], row["operator"]) for email, row in staff.items()} == {
        CLERK.email: ("clerk", False),
        MANAGER.email: ("manager", False),
        OPERATOR.email: (None, True),
    }
    for member in DEMO_STAFF:
        row = staff[member.email]
        assert row["id"] == member.id
        assert row["establishment_id"] == (None if member is OPERATOR else ESTABLISHMENT_ID)
        assert PasswordHasher().verify(row["password_hash"], member.password)
        assert vault.reveal_contact(row["totp_secret_encrypted"]) == member.totp_secret
        assert secret_of(member.email) == member.totp_secret
        assert ":" not in member.password
        assert "/" not in member.password
    # Created as the command line creates an operator: audited.
    assert StaffAccessChanged.routing_key() in await _outbox(url)


async def test_loading_again_keeps_one_row_each_and_sets_the_printed_password_and_secret_back(clean_databases):
    url = clean_databases["accounts"]
    await load_demo_staff(url, NAM_KEY)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(
            "UPDATE staff_users SET password_hash = $1, totp_secret_encrypted = NULL",
            PasswordHasher().hash("an older one"),
        )
    finally:
        await connection.close()
    await load_demo_staff(url, NAM_KEY)
    staff = await _staff(url)

    assert len(staff) == len(DEMO_STAFF)
    for member in DEMO_STAFF:
        assert PasswordHasher().verify(staff[member.email]["password_hash"], member.password)
        assert NamVault(NAM_KEY).reveal_contact(staff[member.email]["totp_secret_encrypted"]) == member.totp_secret


def test_make_run_prints_each_demo_staff_members_secret_and_how_to_get_a_code() -> None:
    printed = demo_staff_lines("Demo operator", OPERATOR).splitlines()
    assert printed == [
        f"  Demo operator  : e-mail   {OPERATOR.email}",
        f"                   password {OPERATOR.password}",
        f"                   TOTP secret {OPERATOR.totp_secret}",
        f"                   code now: .venv/bin/python -m devstack.totp {OPERATOR.email}",
    ]
    assert pyotp.TOTP(secret_of(OPERATOR.email)).now().isdigit()
