"""Seed 003, "Creating multiple accounts": two accounts with one NAM are linked once a clinic validates
the holder's identity, and either identifier then shows the full list of appointments."""

import time

import httpx

from shared.devstack.mail_sink import MailSink
from shared.devstack.supervisor import Supervisor
from shared.testing.fixtures import run_sync
from tests.e2e.accounts_flow import active_account
from tests.e2e.clinic_staff import add_staff, slot_later_today, staff_auth
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
    slot = run_sync(slot_later_today(urls["appointments"], catalogue.service_id))
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
