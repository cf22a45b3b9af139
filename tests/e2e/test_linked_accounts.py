"""Seed 003, "Creating multiple accounts": two accounts with one NAM are linked once a clinic validates
the holder's identity, and either identifier then shows the full list of appointments."""

import time

import httpx

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, active_account, code_from_mail, verify, wait_until
from tests.e2e.clinic_staff import add_staff, slot_soon, staff_auth
from tests.e2e.conftest import Catalogue

NAM = "TEST54122816"
CLERK = "commis@clinique-liens.example"


def _listed(client: httpx.Client, citizen: dict[str, str]) -> set[str]:
    mine = client.get("/api/my/appointments", headers=citizen)
    assert mine.status_code == 200, mine.text
    return {a["id"] for a in mine.json()["upcoming"] + mine.json()["past"]}


def _eventually_listed(client: httpx.Client, citizen: dict[str, str], expected: set[str], timeout: float = 10) -> None:
    """Linking is event-driven: verification -> accounts -> appointments."""
    deadline = time.monotonic() + timeout
    while (listed := _listed(client, citizen)) != expected:
        assert time.monotonic() < deadline, f"{listed} != {expected}"
        time.sleep(0.05)


def test_accounts_with_the_same_nam_share_their_appointments_once_a_clinic_validates(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink
):
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, CLERK, "clerk"))
    slot = run_sync(slot_soon(urls["appointments"], catalogue.service_id)).id
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        first = active_account(client, mail_sink, "premier.compte@example.org", nam=NAM)
        second = active_account(client, mail_sink, "second.compte@example.org", nam=NAM)
        stranger = active_account(client, mail_sink, "autre.personne@example.org", nam="TEST12542819", sex="F")
        booked = {}
        for name, citizen in (("first", first), ("second", second), ("stranger", stranger)):
            answer = client.post("/api/my/appointments", json={"slot_id": str(slot)}, headers=citizen)
            assert answer.status_code == 201, answer.text
            booked[name] = answer.json()
        # Before any clinic authenticated the holder: each account sees only what it booked.
        assert _listed(client, first) == {booked["first"]["id"]}
        assert _listed(client, second) == {booked["second"]["id"]}

        validated = client.post(
            f"/api/admin/verification/establishments/{catalogue.establishment_id}/identity-validations",
            json={
                "account_id": booked["first"]["person_id"],
                "first_name": "Thomas",
                "last_name": "Testeur",
                "birth_date": "1954-12-28",
                "sex": "M",
                "nam": NAM,
                "confirmed": True,
            },
            headers=staff_auth(client, CLERK),
        )
        assert validated.status_code == 201, validated.text

        both = {booked["first"]["id"], booked["second"]["id"]}
        _eventually_listed(client, first, both)
        _eventually_listed(client, second, both)
        assert _listed(client, stranger) == {booked["stranger"]["id"]}

        # One citizen: either account may act on what the other booked; a stranger still may not.
        refused = client.post(f"/api/my/appointments/{booked['first']['id']}/cancel", headers=stranger)
        assert refused.status_code == 404, refused.text
        cancelled = client.post(f"/api/my/appointments/{booked['first']['id']}/cancel", headers=second)
        assert cancelled.status_code == 200, cancelled.text
        assert _listed(client, first) == both  # history included


def test_linked_holders_are_told_and_a_nam_change_unlinks(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink
):
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "liens@clinique-liens.example", "clerk"))
    slot = run_sync(slot_soon(urls["appointments"], catalogue.service_id)).id
    first_email, second_email = "lien.un@example.org", "lien.deux@example.org"
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        first = active_account(client, mail_sink, first_email, nam=NAM)
        second = active_account(client, mail_sink, second_email, nam=NAM)
        booked = [
            client.post("/api/my/appointments", json={"slot_id": str(slot)}, headers=citizen).json()
            for citizen in (first, second)
        ]
        validated = client.post(
            f"/api/admin/verification/establishments/{catalogue.establishment_id}/identity-validations",
            json={
                "account_id": booked[0]["person_id"],
                "first_name": "Thomas",
                "last_name": "Testeur",
                "birth_date": "1954-12-28",
                "sex": "M",
                "nam": NAM,
                "confirmed": True,
            },
            headers=staff_auth(client, "liens@clinique-liens.example"),
        )
        assert validated.status_code == 201, validated.text
        both = {booked[0]["id"], booked[1]["id"]}
        _eventually_listed(client, first, both)

        for email in (first_email, second_email):  # both holders are told, by message
            wait_until(
                lambda email=email: any("liés" in m.subject for m in mail_sink.messages() if email in m.recipients),
                message=f"{email} was not told of the link",
            )

        # The second holder's NAM changes (6-digit code): that account leaves the group.
        change = client.post(
            "/api/me/sensitive-changes",
            json={"kind": "nam", "new_value": "TEST54122827", "current_password": PASSWORD},
            headers=second,
        )
        assert change.status_code == 202, change.text
        token = second["authorization"].removeprefix("Bearer ")
        answer = verify(
            client, change.json()["challenge_id"], code_from_mail(mail_sink, second_email, 1), "change_nam", token
        )
        assert answer.status_code == 200, answer.text
        _eventually_listed(client, first, {booked[0]["id"]})
        _eventually_listed(client, second, {booked[1]["id"]})
        wait_until(
            lambda: any("plus lié" in m.subject for m in mail_sink.messages() if second_email in m.recipients),
            message="the holder was not told of the unlinking",
        )
