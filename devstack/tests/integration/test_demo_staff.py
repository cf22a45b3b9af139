"""The demo staff `make run` prints: a clerk and a manager of the demo CLSC whose printed passwords work, also
on a database kept from a run that set other ones."""

import asyncpg
from argon2 import PasswordHasher

from devstack.demo_data.accounts import CLERK, DEMO_STAFF, MANAGER, load_demo_staff
from devstack.demo_data.appointments import ESTABLISHMENT_ID
from shared.db import asyncpg_dsn


async def _staff(url: str) -> dict[str, asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch("SELECT id, establishment_id, role, email, password_hash FROM staff_users")
    finally:
        await connection.close()
    return {row["email"]: row for row in rows}


async def test_a_clerk_and_a_manager_of_the_demo_clsc_with_the_printed_passwords(clean_databases):
    url = clean_databases["accounts"]
    await load_demo_staff(url)
    staff = await _staff(url)

    assert {email: row["role"] for email, row in staff.items()} == {CLERK.email: "clerk", MANAGER.email: "manager"}
    for member in DEMO_STAFF:
        row = staff[member.email]
        assert (row["id"], row["establishment_id"]) == (member.id, ESTABLISHMENT_ID)
        assert PasswordHasher().verify(row["password_hash"], member.password)
        assert ":" not in member.password
        assert "/" not in member.password


async def test_loading_again_keeps_one_row_each_and_sets_the_printed_password_back(clean_databases):
    url = clean_databases["accounts"]
    await load_demo_staff(url)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(
            "UPDATE staff_users SET password_hash = $1 WHERE id = $2", PasswordHasher().hash("an older one"), CLERK.id
        )
    finally:
        await connection.close()
    await load_demo_staff(url)
    staff = await _staff(url)

    assert len(staff) == len(DEMO_STAFF)
    assert PasswordHasher().verify(staff[CLERK.email]["password_hash"], CLERK.password)
