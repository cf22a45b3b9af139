"""The accounts command line's staff subcommands (issue 21): an operator named by e-mail appoints an
establishment's manager (the invitation link printed) and resets a lost second factor, audited as theirs."""

import pytest

from services.accounts import cli
from services.accounts.settings import AccountsSettings
from services.accounts.staff.rules import MemberNotFound
from services.accounts.tests.integration.test_staff_administration import (
    X,
    access_changes,
    add_staff,
    client,
    db,
    published,
)
from shared.contracts.accounts import StaffInvited
from shared.staff import OperatorRequired

__all__ = ["client", "db"]  # fixtures


async def test_the_command_line_appoints_a_manager_and_resets_a_factor_as_the_operator_named(
    clean_databases, client, db
):
    settings = AccountsSettings.model_construct(database_url=clean_databases["accounts"])
    the_operator = await add_staff(db, "operateur@plateforme.example", {}, operator=True)
    clerk = await add_staff(db, "commis@clinique.example", {X: "clerk"})

    async def run(*argv: str) -> str:
        return await cli.run(cli.parser().parse_args(argv), settings)

    printed = await run(
        "appoint-manager",
        "--establishment-id",
        str(X),
        "--email",
        "premiere.gestionnaire@clinique.example",
        "--as-operator-email",
        "Operateur@plateforme.example",
        "--base-url",
        "https://rv.example/",
    )
    (event,) = await published(db, StaffInvited)
    assert (event["invited_by"], event["invited_by_role"], event["role"]) == (str(the_operator), "operator", "manager")
    assert printed.splitlines()[-1] == f"https://rv.example/admin/invitation?token={event['invitation_token']}"
    looked_up = await client.post("/staff/invitations/lookup", json={"token": event["invitation_token"]})
    assert looked_up.json()["role"] == "manager"

    printed = await run(
        "reset-factor", "--email", "COMMIS@clinique.example", "--as-operator-email", "operateur@plateforme.example"
    )
    assert str(clerk) in printed
    assert await db.fetchval("SELECT totp_secret_encrypted FROM staff_users WHERE id = $1", clerk) is None
    (reset,) = await access_changes(db, "factor_reset")
    assert (reset["actor_id"], reset["staff_id"], reset["establishment_id"]) == (str(the_operator), str(clerk), str(X))

    # Only an operator may: a clerk's address is not one.
    with pytest.raises(OperatorRequired):
        await run(
            "reset-factor", "--email", "commis@clinique.example", "--as-operator-email", "commis@clinique.example"
        )
    with pytest.raises(MemberNotFound):
        await run(
            "reset-factor",
            "--email",
            "personne@clinique.example",
            "--as-operator-email",
            "operateur@plateforme.example",
        )
