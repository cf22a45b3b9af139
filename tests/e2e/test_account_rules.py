"""Account rules through the gateway: no enumeration, reset by code, throttling, object-level authorization."""

import time

import httpx
import pytest

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from tests.e2e.accounts_flow import PASSWORD, active_account, code_from_mail, register, verify, wait_for_login


@pytest.fixture
def client(system: Supervisor):
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        yield client


def test_registering_an_existing_email_answers_the_same_and_warns_the_owner(client: httpx.Client, mail_sink: MailSink):
    email = "deja.inscrite@example.org"
    active_account(client, mail_sink, email)
    again = register(client, email=email, first_name="Autre", last_name="Personne")
    assert set(again) == {"challenge_id", "channel", "sent_to", "warnings"}
    assert again["sent_to"] == "d***@example.org"
    deadline = time.monotonic() + 10
    while not any("tent" in m.subject.lower() or "tent" in m.body.lower() for m in mail_sink.messages()[1:]):
        assert time.monotonic() < deadline, [m.subject for m in mail_sink.messages()]
        time.sleep(0.05)
    # The first account is untouched: its owner still logs in.
    assert client.post("/api/sessions", json={"identifier": email, "password": PASSWORD}).status_code == 200


def test_password_reset_with_a_code(client: httpx.Client, mail_sink: MailSink):
    email = "oubli@example.org"
    active_account(client, mail_sink, email)
    new_password = "les outardes reviennent au printemps"
    reset = client.post("/api/password-resets", json={"identifier": email, "new_password": new_password})
    assert reset.status_code == 202, reset.text
    code = code_from_mail(mail_sink, email, already=1)
    assert verify(client, reset.json()["challenge_id"], code, "reset_password").status_code == 200
    wait_for_login(client, email, new_password, not_yet=401)
    assert client.post("/api/sessions", json={"identifier": email, "password": PASSWORD}).status_code == 401


def test_reset_for_an_unknown_address_looks_the_same(client: httpx.Client, mail_sink: MailSink):
    reset = client.post(
        "/api/password-resets", json={"identifier": "personne@example.org", "new_password": "les outardes reviennent"}
    )
    assert reset.status_code == 202
    time.sleep(0.5)
    assert mail_sink.messages() == []


def test_failed_logins_slow_down_but_never_lock_the_citizen_out(client: httpx.Client, mail_sink: MailSink):
    email = "lente@example.org"
    active_account(client, mail_sink, email)
    statuses = [
        client.post("/api/sessions", json={"identifier": email, "password": "mauvais mot de passe!"}).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    refused = client.post("/api/sessions", json={"identifier": email, "password": PASSWORD})
    assert refused.status_code == 429
    assert "secondes" in refused.json()["detail"]
    time.sleep(2.1)
    assert client.post("/api/sessions", json={"identifier": email, "password": PASSWORD}).status_code == 200


def test_booking_form_is_prefilled_for_the_holder_and_each_dependant(client: httpx.Client, mail_sink: MailSink):
    auth = active_account(client, mail_sink, "parent@example.org", phone="5145550177", nam="TEST54122816")
    child = client.post(
        "/api/me/dependants",
        json={
            "first_name": "Tina",
            "last_name": "Testeur",
            "birth_date": "2012-04-28",
            "sex": "F",
            "nam": "TEST12542817",
        },
        headers=auth,
    ).json()
    assert child["warnings"] == []
    holder = client.get("/api/me/booking-form", headers=auth).json()
    # The NAM is masked as /api/me masks it: a page or a script in the browser never reads it back whole.
    assert (holder["first_name"], holder["nam"], holder["email"], holder["is_dependant"]) == (
        "Thomas",
        "•••• •••• 2816",
        "parent@example.org",
        False,
    )
    form = client.get("/api/me/booking-form", params={"person_id": child["id"]}, headers=auth).json()
    assert (form["first_name"], form["birth_date"], form["nam"], form["phone"], form["is_dependant"]) == (
        "Tina",
        "2012-04-28",
        "•••• •••• 2817",
        "+15145550177",
        True,
    )


def test_a_citizen_can_never_touch_another_familys_dependant(client: httpx.Client, mail_sink: MailSink):
    alice = active_account(client, mail_sink, "alice@example.org")
    bob = active_account(client, mail_sink, "bob@example.org")
    child = client.post(
        "/api/me/dependants",
        json={"first_name": "Kim", "last_name": "A", "birth_date": "2014-02-02", "sex": "F"},
        headers=alice,
    ).json()
    body = {"first_name": "Pirate", "last_name": "B", "birth_date": "2014-02-02", "sex": "F"}
    assert client.get("/api/me/booking-form", params={"person_id": child["id"]}, headers=bob).status_code == 404
    assert client.put(f"/api/me/dependants/{child['id']}", json=body, headers=bob).status_code == 404
    assert client.delete(f"/api/me/dependants/{child['id']}", headers=bob).status_code == 404
    assert client.get("/api/me/dependants", headers=bob).json() == []
    assert [d["first_name"] for d in client.get("/api/me/dependants", headers=alice).json()] == ["Kim"]


def test_a_nam_that_disagrees_with_the_person_is_accepted_with_a_warning(client: httpx.Client):
    registration = register(client, email="mismatch@example.org", first_name="Anne", nam="TEST54122816")
    assert registration["warnings"] == ["nam_name_mismatch"]  # TEST... is Thomas's NAM, not Anne's
