"""`python -m services.accounts.cli create-operator`: a platform's first operator, audited through the outbox, on the
database of the accounts settings, printing nothing secret."""

import asyncio
import json

import asyncpg
import pytest

from services.accounts.cli import main
from services.accounts.links.rules import NamVault
from shared.contracts.accounts import StaffAccessChanged
from shared.db import asyncpg_dsn

NAM_KEY = "clé NAM de la ligne de commande"
PASSWORD = "une aurore boréale sur la baie"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


async def _rows(url: str, query: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return list(await connection.fetch(query))
    finally:
        await connection.close()


@pytest.fixture
def accounts_url(clean_databases: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    url = clean_databases["accounts"]
    monkeypatch.setenv("ACCOUNTS_DATABASE_URL", url)
    monkeypatch.setenv("ACCOUNTS_NAM_KEY", NAM_KEY)
    monkeypatch.delenv("ACCOUNTS_JWT_PRIVATE_KEY", raising=False)
    return url


def test_create_operator_inserts_them_and_publishes_it_for_the_audit_log(accounts_url, capsys):
    argv = ["create-operator", "--email", "Ops@Plateforme.example", "--name", "Odile Opératrice"]
    assert main([*argv, "--password", PASSWORD, "--totp-secret", SECRET]) == 0
    printed = capsys.readouterr().out
    assert PASSWORD not in printed
    assert SECRET not in printed

    [row] = asyncio.run(_rows(accounts_url, "SELECT * FROM staff_users"))
    assert (row["email"], row["name"], row["operator"]) == ("ops@plateforme.example", "Odile Opératrice", True)
    assert str(row["id"]) in printed
    assert NamVault(NAM_KEY).reveal_contact(row["totp_secret_encrypted"]) == SECRET
    assert row["totp_enrolled_at"] is not None
    assert asyncio.run(_rows(accounts_url, "SELECT * FROM staff_roles")) == []
    [event] = asyncio.run(_rows(accounts_url, "SELECT routing_key, body FROM outbox"))
    assert event["routing_key"] == StaffAccessChanged.routing_key()
    payload = json.loads(event["body"])["payload"]
    assert (payload["action"], payload["staff_id"], payload["establishment_id"]) == (
        "operator_created",
        str(row["id"]),
        None,
    )

    # Once only; and without a secret, the operator enrols at first sign-in.
    assert main([*argv, "--password", PASSWORD]) == 1
    assert "already_staff" in capsys.readouterr().err
    assert (
        main(["create-operator", "--email", "autre@plateforme.example", "--name", "Oscar", "--password", PASSWORD]) == 0
    )
    rows = asyncio.run(_rows(accounts_url, "SELECT email, totp_secret_encrypted FROM staff_users ORDER BY email"))
    assert (rows[0]["email"], rows[0]["totp_secret_encrypted"]) == ("autre@plateforme.example", None)


def test_a_weak_password_is_refused(accounts_url, capsys):
    assert main(["create-operator", "--email", "o@plateforme.example", "--name", "O", "--password", "court"]) == 1
    assert "weak_password" in capsys.readouterr().err
    assert asyncio.run(_rows(accounts_url, "SELECT * FROM staff_users")) == []
