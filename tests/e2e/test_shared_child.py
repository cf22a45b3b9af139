"""A child in two parents' accounts: each parent sees all of the child's appointments only once a
clinic validated both associations."""

import time

import httpx

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from tests.e2e.accounts_flow import active_account
from tests.e2e.clinic_staff import staff_auth

CHILD = {"first_name": "Tina", "last_name": "Testeur", "birth_date": "2012-04-28", "sex": "F", "nam": "TEST12542817"}


def _listed(client: httpx.Client, parent: dict[str, str]) -> set[str]:
    mine = client.get("/api/my/appointments", headers=parent).json()
    return {a["id"] for a in mine["upcoming"] + mine["past"]}


def test_each_parent_sees_the_childs_appointments_after_both_associations(
    system: Supervisor,
    clinics,
    mail_sink: MailSink,
):
    x, _, slots = clinics
    slot = str(slots[x.establishment_id].id)
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        parents, children, booked = [], [], []
        for email, first_name in (("parent.a@example.org", "Alex"), ("parent.b@example.org", "Blake")):
            auth = active_account(client, mail_sink, email, first_name=first_name)
            child = client.post("/api/me/dependants", json=CHILD, headers=auth).json()
            appointment = client.post(
                "/api/my/appointments", json={"slot_id": slot, "person_id": child["id"]}, headers=auth
            )
            assert appointment.status_code == 201, appointment.text
            parents.append(auth)
            children.append(child["id"])
            booked.append(appointment.json()["id"])

        clerk = staff_auth(client, "x@clinique-x.example")
        base = f"/api/admin/verification/establishments/{x.establishment_id}"
        for index, (auth, child_id) in enumerate(zip(parents, children, strict=True)):
            assert _listed(client, auth) == {booked[index]}  # until validated, neither sees the other's
            account_id = client.get("/api/me", headers=auth).json()["id"]
            holder = {"account_id": account_id, "first_name": "X", "last_name": "Testeur", "birth_date": "1980-01-01"}
            identity = client.post(
                f"{base}/identity-validations", json={**holder, "sex": "M", "confirmed": True}, headers=clerk
            )
            assert identity.status_code == 201, identity.text
            kid = {k: CHILD[k] for k in ("first_name", "last_name", "birth_date")}
            association = client.post(
                f"{base}/association-validations",
                json={"account_id": account_id, "person_id": child_id, **kid, "confirmed": True},
                headers=clerk,
            )
            assert association.status_code == 201, association.text

        deadline = time.monotonic() + 10
        while not all(_listed(client, auth) == set(booked) for auth in parents):
            assert time.monotonic() < deadline, [_listed(client, auth) for auth in parents]
            time.sleep(0.1)
        # The other parent may act on it too: same family, same child.
        assert client.get(f"/api/my/appointments/{booked[0]}.ics", headers=parents[1]).status_code == 200
