"""A citizen's account from registration to deletion, through the gateway, with real codes by email and SMS."""

import httpx

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, code_from_mail, code_from_sms, traces_of, wait_for_login, wait_until

NAM = "TEST54122816"  # Thomas Testeur, man born 1954-12-28


def _register(client: httpx.Client, **contact: str) -> dict:
    response = client.post(
        "/api/registrations",
        json={
            "first_name": "Thomas",
            "last_name": "Testeur",
            "birth_date": "1954-12-28",
            "sex": "M",
            "nam": NAM,
            "language": "fr",
            "password": PASSWORD,
            **contact,
        },
    )
    assert response.status_code == 202, response.text
    return response.json()


def _verify(client: httpx.Client, challenge_id: str, code: str, purpose: str, token: str | None = None) -> None:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = client.post(
        f"/api/challenges/{challenge_id}/verify", json={"code": code, "purpose": purpose}, headers=headers
    )
    assert response.status_code == 200, response.text


def test_email_account_from_registration_to_deletion_leaves_no_trace(
    system: Supervisor, mail_sink: MailSink, sms_sink: SmsSink
):
    old_email, new_email, phone = "thomas.testeur@example.org", "t.testeur@example.net", "+15145550188"
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        registration = _register(client, email=old_email, phone="514 555-0188")
        assert registration["warnings"] == []
        assert registration["sent_to"] == "t***@example.org"
        _verify(client, registration["challenge_id"], code_from_mail(mail_sink, old_email), "activate_account")
        token = wait_for_login(client, old_email)
        auth = {"authorization": f"Bearer {token}"}

        for first_name, birth_date in (("Léa", "2015-04-02"), ("Noah", "2018-09-17")):
            added = client.post(
                "/api/me/dependants",
                json={"first_name": first_name, "last_name": "Testeur", "birth_date": birth_date, "sex": "F"},
                headers=auth,
            )
            assert added.status_code == 201, added.text
        assert [d["first_name"] for d in client.get("/api/me/dependants", headers=auth).json()] == ["Léa", "Noah"]

        change = client.post(
            "/api/me/sensitive-changes",
            json={"kind": "email", "new_value": new_email, "current_password": PASSWORD},
            headers=auth,
        )
        assert change.status_code == 202, change.text
        _verify(client, change.json()["challenge_id"], code_from_mail(mail_sink, new_email), "change_email", token)
        wait_until(lambda: client.get("/api/me", headers=auth).json()["email"] == new_email, message="email unchanged")
        wait_until(
            lambda: any("t***@example.net" in m.body for m in mail_sink.messages() if old_email in m.recipients),
            message="the old address was not told about the change",
        )

        deleted = client.post("/api/me/delete", json={"password": PASSWORD}, headers=auth)
        assert deleted.status_code == 204, deleted.text
        assert client.get("/api/me", headers=auth).status_code == 404
        wait_until(
            lambda: any(new_email in m.recipients and "supprimé" in m.body for m in mail_sink.messages()),
            message="no deletion confirmation",
        )

    needles = [old_email, new_email, phone, phone.removeprefix("+1"), NAM]
    wait_until(lambda: run_sync(traces_of(system.config.database_urls, needles)) == [], timeout=15)


def test_phone_only_account_works_by_sms(system: Supervisor, mail_sink: MailSink, sms_sink: SmsSink):
    phone = "+14385550142"
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        registration = _register(client, phone="438-555-0142")
        assert registration["channel"] == "sms"
        _verify(client, registration["challenge_id"], code_from_sms(sms_sink, phone), "activate_account")
        token = wait_for_login(client, "(438) 555-0142")
        auth = {"authorization": f"Bearer {token}"}
        profile = client.get("/api/me", headers=auth).json()
        assert (profile["phone"], profile["email"], profile["notify_sms"]) == (phone, None, True)

        new_phone = "+15815550199"
        change = client.post(
            "/api/me/sensitive-changes",
            json={"kind": "phone", "new_value": "581 555 0199", "current_password": PASSWORD},
            headers=auth,
        )
        assert change.status_code == 202, change.text
        assert change.json()["sent_to"] == "***0199"
        _verify(client, change.json()["challenge_id"], code_from_sms(sms_sink, new_phone), "change_phone", token)
        wait_until(lambda: client.get("/api/me", headers=auth).json()["phone"] == new_phone, message="phone unchanged")
        assert client.post("/api/me/delete", json={"password": PASSWORD}, headers=auth).status_code == 204
        wait_until(lambda: sum(m.to == new_phone for m in sms_sink.messages()) == 2, message="no SMS confirmation")
    assert mail_sink.messages() == []
    needles = [phone, new_phone, new_phone.removeprefix("+1"), NAM]
    wait_until(lambda: run_sync(traces_of(system.config.database_urls, needles)) == [], timeout=15)


async def _appointment_account(url: str, appointment_id: str) -> str | None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return await conn.fetchval("SELECT account_id::text FROM appointments WHERE id = $1::uuid", appointment_id)
    finally:
        await conn.close()


async def _link_appointment(url: str, appointment_id: str, account_id: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(
            "UPDATE appointments SET account_id = $2::uuid WHERE id = $1::uuid", appointment_id, account_id
        )
    finally:
        await conn.close()


def test_deleting_the_account_leaves_clinic_appointments_but_unlinks_them(
    system: Supervisor, catalogue, mail_sink: MailSink
):
    import jwt

    from tests.e2e.accounts_flow import active_account
    from tests.e2e.conftest import booking

    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        auth = active_account(client, mail_sink, "patiente@example.org")
        account_id = jwt.decode(auth["authorization"][7:], options={"verify_signature": False})["sub"]
        booked = client.post("/api/appointments", json=booking(catalogue.open_slot, email="patiente@example.org"))
        assert booked.status_code == 201
        appointment_id = booked.json()["id"]
        # Booking from an account arrives with the booking issue; the link is what matters here.
        appointments_db = system.config.database_urls["appointments"]
        run_sync(_link_appointment(appointments_db, appointment_id, account_id))
        assert client.post("/api/me/delete", json={"password": PASSWORD}, headers=auth).status_code == 204
    wait_until(lambda: run_sync(_appointment_account(appointments_db, appointment_id)) is None, message="still linked")
