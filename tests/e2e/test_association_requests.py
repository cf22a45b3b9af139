"""Issue 6, item 7: a citizen asks that a family member be associated with the account; the request
waits at the clinic of that person's next appointment; staff there accept (identity first) or refuse
with a reason; the citizen hears the answer. Other establishments see nothing of it."""

import httpx

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import active_account, wait_until
from tests.e2e.clinic_staff import add_staff, staff_auth
from tests.e2e.conftest import add_slot

HOLDER_EMAIL = "parent.demandeur@example.org"
KID = {"first_name": "Léo", "last_name": "Testeur", "birth_date": "2016-05-14", "sex": "M"}
SISTER = {"first_name": "Zoé", "last_name": "Testeur", "birth_date": "2019-01-03", "sex": "F"}


def _mails_to(mail_sink: MailSink, subject_part: str) -> list:
    return [m for m in mail_sink.messages() if HOLDER_EMAIL in m.recipients and subject_part in m.subject]


def test_a_citizen_asks_the_clinic_of_the_next_appointment_which_accepts_or_refuses(
    system: Supervisor, clinics, mail_sink: MailSink
):
    x, y, slots = clinics
    run_sync(
        add_staff(system.config.database_urls["accounts"], x.establishment_id, "gestion@clinique-x.example", "manager")
    )
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        citizen = active_account(client, mail_sink, HOLDER_EMAIL)
        account_id = client.get("/api/me", headers=citizen).json()["id"]
        kid = client.post("/api/me/dependants", json=KID, headers=citizen).json()
        sister = client.post("/api/me/dependants", json=SISTER, headers=citizen).json()

        # No upcoming appointment for the person: nowhere to send the request.
        early = client.post("/api/my/association-requests", json={"person_id": kid["id"]}, headers=citizen)
        assert early.status_code == 422, early.text
        assert early.json()["errors"][0]["field"] == "person_id"
        assert early.json()["errors"][0]["code"] == "no_upcoming_appointment"
        # Only one's own family member; anonymous callers are turned away by the gateway.
        stranger = client.post("/api/my/association-requests", json={"person_id": account_id}, headers=citizen)
        assert stranger.status_code == 422, stranger.text
        assert client.post("/api/my/association-requests", json={"person_id": kid["id"]}).status_code == 401

        for person in (kid, sister):
            booked = client.post(
                "/api/my/appointments",
                json={"slot_id": str(slots[x.establishment_id].id), "person_id": person["id"]},
                headers=citizen,
            )
            assert booked.status_code == 201, booked.text
        # A later appointment elsewhere does not take the request away from the next one's clinic.
        later = add_slot(system, y, days=3, hour_utc=15, capacity=2)
        assert (
            client.post(
                "/api/my/appointments", json={"slot_id": str(later), "person_id": kid["id"]}, headers=citizen
            ).status_code
            == 201
        )

        filed = client.post("/api/my/association-requests", json={"person_id": kid["id"]}, headers=citizen)
        assert filed.status_code == 201, filed.text
        request = filed.json()
        assert (request["status"], request["establishment_id"]) == ("pending", str(x.establishment_id))
        again = client.post("/api/my/association-requests", json={"person_id": kid["id"]}, headers=citizen)
        assert again.json()["id"] == request["id"]  # one open request per person
        other = client.post("/api/my/association-requests", json={"person_id": sister["id"]}, headers=citizen).json()

        clerk_x, clerk_y = staff_auth(client, "x@clinique-x.example"), staff_auth(client, "y@clinique-y.example")
        base_x = f"/api/admin/verification/establishments/{x.establishment_id}/association-requests"
        base_y = f"/api/admin/verification/establishments/{y.establishment_id}/association-requests"
        accept_body = {**{k: KID[k] for k in ("first_name", "last_name", "birth_date")}, "confirmed": True}

        # The wall: Y lists nothing of it and cannot act on it, by its own path or by X's.
        assert client.get(base_y, headers=clerk_y).json()["requests"] == []
        for path in (f"{base_y}/{request['id']}/accept", f"{base_x}/{request['id']}/accept"):
            assert client.post(path, json=accept_body, headers=clerk_y).status_code == 404
        assert (
            client.post(f"{base_y}/{request['id']}/refuse", json={"reason": "non"}, headers=clerk_y).status_code == 404
        )
        assert client.get(base_x, headers=clerk_y).status_code == 404

        pending = client.get(base_x, headers=clerk_x).json()["requests"]
        assert {r["id"] for r in pending} == {request["id"], other["id"]}

        # The front-desk order holds: the holder's identity first.
        too_soon = client.post(f"{base_x}/{request['id']}/accept", json=accept_body, headers=clerk_x)
        assert too_soon.status_code == 409, too_soon.text
        assert too_soon.json()["errors"][0]["code"] == "identity_not_validated"
        unticked = client.post(
            f"{base_x}/{request['id']}/accept", json={**accept_body, "confirmed": False}, headers=clerk_x
        )
        assert unticked.status_code == 422
        identity = client.post(
            f"/api/admin/verification/establishments/{x.establishment_id}/identity-validations",
            json={
                "account_id": account_id,
                "first_name": "Thomas",
                "last_name": "Testeur",
                "birth_date": "1954-12-28",
                "sex": "M",
                "confirmed": True,
            },
            headers=clerk_x,
        )
        assert identity.status_code == 201, identity.text

        accepted = client.post(f"{base_x}/{request['id']}/accept", json=accept_body, headers=clerk_x)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "accepted"
        twice = client.post(f"{base_x}/{request['id']}/accept", json=accept_body, headers=clerk_x)
        assert twice.status_code == 409
        no_reason = client.post(f"{base_x}/{other['id']}/refuse", json={"reason": " "}, headers=clerk_x)
        assert no_reason.status_code == 422
        assert no_reason.json()["errors"][0]["field"] == "reason"
        refused = client.post(
            f"{base_x}/{other['id']}/refuse",
            json={"reason": "Apportez le certificat de naissance de Zoé."},
            headers=clerk_x,
        )
        assert refused.status_code == 200, refused.text

        # The accepted request is an association validation: the card icon of Léo's appointment turns green.
        def kid_card_is_green() -> bool:
            day = client.get(
                f"/api/admin/establishments/{x.establishment_id}/appointments",
                params={"day": slots[x.establishment_id].day.isoformat()},
                headers=clerk_x,
            ).json()
            return any(e["person_id"] == kid["id"] and e["card_icon"] == "green" for e in day)

        wait_until(kid_card_is_green, message="the association was not validated")

        mine = {
            r["person_id"]: r for r in client.get("/api/my/association-requests", headers=citizen).json()["requests"]
        }
        assert mine[kid["id"]]["status"] == "accepted"
        assert (mine[sister["id"]]["status"], mine[sister["id"]]["reason"]) == (
            "refused",
            "Apportez le certificat de naissance de Zoé.",
        )

        wait_until(lambda: _mails_to(mail_sink, "acceptée"), message="no acceptance notice")
        wait_until(lambda: _mails_to(mail_sink, "refusée"), message="no refusal notice")
        assert "Léo" in _mails_to(mail_sink, "acceptée")[0].body
        assert "certificat de naissance" in _mails_to(mail_sink, "refusée")[0].body

        # Every step is in the manager's audit log, reads included.
        manager = staff_auth(client, "gestion@clinique-x.example")
        audit = f"/api/admin/verification/establishments/{x.establishment_id}/audit?limit=500"

        def actions() -> list[str]:
            return [e["action"] for e in client.get(audit, headers=manager).json()["entries"]]

        wait_until(lambda: "patient_records_viewed:day_list" in actions(), message="the staff read was not audited")
        logged = actions()
        for action in (
            "association_requested",
            "association_requests_viewed",
            "identity_validated",
            "association_validated",
            "association_request_accepted",
            "association_request_refused",
        ):
            assert action in logged, (action, logged)
        assert logged.count("association_requested") == 2
        assert client.get(audit, headers=clerk_x).status_code == 403  # the log is for managers


def test_removing_the_family_member_withdraws_the_open_request(system: Supervisor, clinics, mail_sink: MailSink):
    x, _, slots = clinics
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        citizen = active_account(client, mail_sink, "retrait.demande@example.org")
        kid = client.post("/api/me/dependants", json=KID, headers=citizen).json()
        assert (
            client.post(
                "/api/my/appointments",
                json={"slot_id": str(slots[x.establishment_id].id), "person_id": kid["id"]},
                headers=citizen,
            ).status_code
            == 201
        )
        filed = client.post("/api/my/association-requests", json={"person_id": kid["id"]}, headers=citizen)
        assert filed.status_code == 201, filed.text
        assert client.delete(f"/api/me/dependants/{kid['id']}", headers=citizen).status_code == 204

        clerk = staff_auth(client, "x@clinique-x.example")
        base = f"/api/admin/verification/establishments/{x.establishment_id}/association-requests"
        wait_until(
            lambda: filed.json()["id"] not in {r["id"] for r in client.get(base, headers=clerk).json()["requests"]},
            message="the request stayed pending after the dependant was removed",
        )
        withdrawn = client.get(f"{base}?status=withdrawn", headers=clerk).json()["requests"]
        assert [r["id"] for r in withdrawn] == [filed.json()["id"]]
