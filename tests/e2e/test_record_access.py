"""Who read my record (issue 22, item 4), across the real services: a clerk's list view and record open appear for
that patient and not for another; a dependant's entries appear for the holder only once the association is
validated, as the appointments themselves do, and accounts linked by the NAM share them once linked; staff are
shown by role, never by name; verification's composed path cannot be reached from /api."""

import time
import uuid

import httpx

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import active_account, wait_until
from tests.e2e.clinic_staff import add_staff, staff_auth
from tests.e2e.record_access_flow import accesses, page_session, wait_for

DAY_LIST, OPENED = "patient_records_viewed:day_list", "patient_records_viewed:appointment"
CHILD = {"first_name": "Tina", "last_name": "Testeur", "birth_date": "2012-04-28", "sex": "F", "nam": "TEST12542817"}
MANAGER_EMAIL = "gestion@clinique-x.example"


def test_a_list_view_shows_for_each_patient_on_it_and_a_record_open_only_for_its_own(
    system: Supervisor, clinics, mail_sink: MailSink
):
    x, _, slots = clinics
    run_sync(add_staff(system.config.database_urls["accounts"], x.establishment_id, MANAGER_EMAIL, "manager"))
    slot = slots[x.establishment_id]
    gateway = system.config.url("gateway")
    with httpx.Client(base_url=gateway, timeout=15) as api:
        booked = {}
        for email, first_name in (("alice.lue@example.org", "Alice"), ("bruno.lu@example.org", "Bruno")):
            auth = active_account(api, mail_sink, email, first_name=first_name)
            answer = api.post("/api/my/appointments", json={"slot_id": str(slot.id)}, headers=auth)
            assert answer.status_code == 201, answer.text
            booked[email] = answer.json()["id"]
        manager = staff_auth(api, MANAGER_EMAIL)
        clerk = staff_auth(api, "x@clinique-x.example")
        base = f"/api/admin/establishments/{x.establishment_id}/appointments"
        day = api.get(f"{base}?day={slot.day.isoformat()}", headers=manager)
        assert day.status_code == 200, day.text
        assert {e["id"] for e in day.json()} >= set(booked.values())
        opened = api.get(f"{base}/{booked['alice.lue@example.org']}", headers=clerk)
        assert opened.status_code == 200, opened.text

        # Not reachable from outside: neither verification's composed path nor any public path to it.
        citizen = active_account(api, mail_sink, "curieux@example.org")
        forged = {"appointment_ids": list(booked.values())}
        for path in (
            "/api/composed/record-access",
            "/api/my/record-access",
            "/api/verification/composed/record-access",
        ):
            assert api.post(path, json=forged, headers=citizen).status_code in (404, 405), path
        assert api.get("/api/my/record-access", headers=citizen).status_code == 404

    with httpx.Client(base_url=gateway, timeout=15) as alice, httpx.Client(base_url=gateway, timeout=15) as bruno:
        page_session(alice, "alice.lue@example.org")
        page_session(bruno, "bruno.lu@example.org")
        seen = wait_for(alice, lambda shown: [a for a, _ in shown.get("Alice Testeur", [])] == [OPENED, DAY_LIST])
        assert seen["Alice Testeur"] == [(OPENED, "Commis"), (DAY_LIST, "Gestionnaire")]
        seen = wait_for(bruno, lambda shown: shown.get("Bruno Testeur"))
        assert seen == {"Bruno Testeur": [(DAY_LIST, "Gestionnaire")]}
        time.sleep(1)  # any late row would be there by now
        assert accesses(bruno) == {"Bruno Testeur": [(DAY_LIST, "Gestionnaire")]}
        page = alice.get("/account/record-access").text
        for never in ("Bruno", MANAGER_EMAIL, "x@clinique-x.example", booked["bruno.lu@example.org"]):
            assert never not in page


def test_a_shared_childs_entries_appear_for_the_other_parent_only_after_the_association(
    system: Supervisor, clinics, mail_sink: MailSink
):
    x, _, slots = clinics
    slot = str(slots[x.establishment_id].id)
    gateway = system.config.url("gateway")
    parents = [("parent.un@example.org", "Alex"), ("parent.deux@example.org", "Blake")]
    with httpx.Client(base_url=gateway, timeout=15) as api:
        auths, children, booked = [], [], []
        for email, first_name in parents:
            auth = active_account(api, mail_sink, email, first_name=first_name)
            child = api.post("/api/me/dependants", json=CHILD, headers=auth).json()
            appointment = api.post(
                "/api/my/appointments", json={"slot_id": slot, "person_id": child["id"]}, headers=auth
            )
            assert appointment.status_code == 201, appointment.text
            auths.append(auth)
            children.append(child["id"])
            booked.append(appointment.json()["id"])
        clerk = staff_auth(api, "x@clinique-x.example")
        # The clerk opens the child's appointment that the first parent booked.
        opened = api.get(f"/api/admin/establishments/{x.establishment_id}/appointments/{booked[0]}", headers=clerk)
        assert opened.status_code == 200, opened.text

    with httpx.Client(base_url=gateway, timeout=15) as first, httpx.Client(base_url=gateway, timeout=15) as second:
        page_session(first, parents[0][0])
        page_session(second, parents[1][0])
        # The parent who booked it sees it under the child, as the appointment is in their list.
        wait_for(first, lambda shown: shown.get("Tina Testeur") == [(OPENED, "Commis")])
        time.sleep(1)
        before = accesses(second)
        assert before.get("Tina Testeur", []) == [], before  # not the other parent's, until the clinic vouches

        with httpx.Client(base_url=gateway, timeout=15) as api:
            base = f"/api/admin/verification/establishments/{x.establishment_id}"
            for auth, child_id in zip(auths, children, strict=True):
                account_id = api.get("/api/me", headers=auth).json()["id"]
                holder = {
                    "account_id": account_id,
                    "first_name": "X",
                    "last_name": "Testeur",
                    "birth_date": "1980-01-01",
                }
                wait_until(
                    lambda h=holder: (
                        api.post(
                            f"{base}/identity-validations", json={**h, "sex": "M", "confirmed": True}, headers=clerk
                        ).status_code
                        == 201
                    ),
                    message="identity not validated",
                )
                kid = {k: CHILD[k] for k in ("first_name", "last_name", "birth_date")}
                association = api.post(
                    f"{base}/association-validations",
                    json={"account_id": account_id, "person_id": child_id, **kid, "confirmed": True},
                    headers=clerk,
                )
                assert association.status_code == 201, association.text

        after = wait_for(second, lambda shown: (OPENED, "Commis") in shown.get("Tina Testeur", []))
        # The child's section also holds its association, and the holder's their identity, each by role.
        assert after["Tina Testeur"] == [("association_validated", "Commis"), (OPENED, "Commis")]
        assert after["Blake Testeur"] == [("identity_validated", "Commis")]
        assert str(uuid.UUID(booked[0])) not in second.get("/account/record-access").text


def test_accounts_linked_by_the_nam_see_each_others_reads_once_linked_as_their_appointments(
    system: Supervisor, clinics, mail_sink: MailSink
):
    x, _, slots = clinics
    slot = str(slots[x.establishment_id].id)
    gateway = system.config.url("gateway")
    nam = "TEST54122816"
    emails = ("un.compte@example.org", "deux.comptes@example.org", "quelquun.dautre@example.org")
    with httpx.Client(base_url=gateway, timeout=15) as api:
        first = active_account(api, mail_sink, emails[0], nam=nam)
        second = active_account(api, mail_sink, emails[1], nam=nam)
        stranger = active_account(api, mail_sink, emails[2], nam="TEST12542819", sex="F", first_name="Dana")
        booked = []
        for citizen in (first, second, stranger):
            answer = api.post("/api/my/appointments", json={"slot_id": slot}, headers=citizen)
            assert answer.status_code == 201, answer.text
            booked.append(answer.json())
        clerk = staff_auth(api, "x@clinique-x.example")
        base = f"/api/admin/establishments/{x.establishment_id}/appointments"
        assert api.get(f"{base}/{booked[0]['id']}", headers=clerk).status_code == 200

        with httpx.Client(base_url=gateway, timeout=15) as one, httpx.Client(base_url=gateway, timeout=15) as two:
            page_session(one, emails[0])
            page_session(two, emails[1])
            wait_for(one, lambda shown: shown.get("Thomas Testeur") == [(OPENED, "Commis")])
            assert accesses(two) == {}  # not linked yet: the other account's appointment is not in its list

            holder = {
                "account_id": booked[0]["person_id"],
                "first_name": "Thomas",
                "last_name": "Testeur",
                "birth_date": "1954-12-28",
                "sex": "M",
                "nam": nam,
                "confirmed": True,
            }
            url = f"/api/admin/verification/establishments/{x.establishment_id}/identity-validations"
            wait_until(lambda: api.post(url, json=holder, headers=clerk).status_code == 201, message="no identity")
            # Linked (verification -> accounts -> appointments): the second account now lists the first's
            # appointment, and so the clerk's reading of it; the identity validated was the first account's own.
            seen = wait_for(two, lambda shown: (OPENED, "Commis") in shown.get("Thomas Testeur", []))
            assert seen == {"Thomas Testeur": [(OPENED, "Commis")]}
            assert accesses(one)["Thomas Testeur"] == [("identity_validated", "Commis"), (OPENED, "Commis")]
        with httpx.Client(base_url=gateway, timeout=15) as other:
            page_session(other, emails[2])
            assert accesses(other) == {}
