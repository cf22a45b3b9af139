"""The waitlist through the gateway's JSON API (issue 22, item 1), every service running: a holder puts a
dependant on the waitlist by naming them (the gateway composes the details from the account, as for a booking),
someone joins without an account, the only seat frees, the service's matcher offers it to the first in line, and
the account accepts it with the offer's link token from its own list: an appointment like any other, confirmed by
e-mail."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from tests.e2e.accounts_flow import active_account, wait_until
from tests.e2e.conftest import Catalogue, add_slot, booking

MONTREAL = ZoneInfo("America/Montreal")


@pytest.fixture
def client(system: Supervisor):
    with httpx.Client(base_url=system.config.url("gateway"), timeout=20) as client:
        yield client


def test_a_family_waits_through_the_api_and_books_the_seat_offered(
    client: httpx.Client, system: Supervisor, catalogue: Catalogue, mail_sink: MailSink
):
    auth = active_account(client, mail_sink, "attente.famille@example.org")
    child = client.post(
        "/api/me/dependants",
        json={"first_name": "Léo", "last_name": "Attente", "birth_date": "2018-03-04", "sex": "M"},
        headers=auth,
    ).json()["id"]
    # The catalogue's open slot is three days out: five days out, the only seat is this one, booked.
    single = add_slot(system, catalogue, days=5, hour_utc=16, capacity=1)
    occupant = client.post("/api/appointments", json=booking(single))
    assert occupant.status_code == 201
    day = (datetime.now(MONTREAL) + timedelta(days=5)).date()
    wanted = {
        "establishment_id": str(catalogue.establishment_id),
        "service_id": str(catalogue.service_id),
        "from_date": day.isoformat(),
        "to_date": (day + timedelta(days=1)).isoformat(),
        "times_of_day": ["morning", "afternoon", "evening"],
    }

    joined = client.post(
        "/api/my/waitlist", json=wanted | {"person_id": child}, headers=auth | {"Idempotency-Key": str(uuid.uuid4())}
    )
    assert joined.status_code == 201, joined.text
    assert (joined.json()["person"]["first_name"], joined.json()["position"]) == ("Léo", 1)  # from the account
    forged = client.post("/api/my/waitlist", json=wanted | {"first_name": "Faux"}, headers=auth)
    assert forged.status_code == 422  # the details come from the account, never from the client
    stranger = active_account(client, mail_sink, "attente.etranger@example.org")
    not_theirs = client.post("/api/my/waitlist", json=wanted | {"person_id": child}, headers=stranger)
    assert not_theirs.status_code == 404
    anonymous = client.post(
        "/api/waitlist",
        json=wanted | {"first_name": "Sans", "last_name": "Compte", "birth_date": "1970-01-01", "phone": "5145550177"},
    )
    assert anonymous.status_code == 201, anonymous.text
    entry, entry_token = anonymous.json()["entry"], anonymous.json()["token"]
    assert client.get(f"/api/waitlist/entries/{entry['id']}", params={"token": "x"}).status_code == 404

    cancelled = client.post(
        f"/api/appointments/{occupant.json()['id']}/cancel", json={"token": occupant.json()["manage_token"]}
    )
    assert cancelled.status_code == 200

    def offer_of_mine() -> dict | None:
        return client.get("/api/my/waitlist", headers=auth).json()["entries"][0]["offer"]

    wait_until(lambda: offer_of_mine() is not None, timeout=15, message="no offer after the seat freed")
    offer = offer_of_mine()
    assert offer is not None
    shown = client.get(f"/api/waitlist/offers/{offer['id']}", params={"token": offer["token"]})
    assert (shown.status_code, shown.json()["status"], shown.json()["person"]["first_name"]) == (200, "open", "Léo")
    second = client.get(f"/api/waitlist/entries/{entry['id']}", params={"token": entry_token}).json()
    assert (second["status"], second["position"]) == ("waiting", 1)  # next in line, offered nothing

    accepted = client.post(
        f"/api/waitlist/offers/{offer['id']}/accept",
        json={"token": offer["token"]},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )

    assert accepted.status_code == 201, accepted.text
    assert (accepted.json()["slot_id"], accepted.json()["first_name"]) == (str(single), "Léo")
    upcoming = client.get("/api/my/appointments", headers=auth).json()["upcoming"]
    assert [(a["id"], a["first_name"]) for a in upcoming] == [(accepted.json()["id"], "Léo")]
    assert client.get("/api/my/waitlist", headers=auth).json()["entries"][0]["status"] == "booked"

    def confirmations() -> list[str]:
        mails = mail_sink.messages()
        return [m.subject for m in mails if "attente.famille@example.org" in m.recipients and "confirmé" in m.subject]

    wait_until(lambda: confirmations(), timeout=20, message="no confirmation of the accepted offer")
    assert len(confirmations()) == 1
    left = client.post(f"/api/waitlist/entries/{entry['id']}/leave", json={"token": entry_token})
    assert left.json()["status"] == "left"
