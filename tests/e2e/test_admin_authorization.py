"""A clerk of clinic X gets 403/404 on every staff endpoint of clinic Y, and citizens on all of them."""

import uuid
from datetime import date

import httpx

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import active_account
from tests.e2e.clinic_staff import add_staff, staff_auth
from tests.e2e.conftest import Catalogue, _insert_catalogue, booking


def _staff_endpoints(
    y: Catalogue, appointment_id: str, account_id: str, request_id: str
) -> list[tuple[str, str, dict | None]]:
    appointments = f"/api/admin/establishments/{y.establishment_id}"
    verification = f"/api/admin/verification/establishments/{y.establishment_id}"
    person = {"first_name": "A", "last_name": "B", "birth_date": "1980-01-01", "confirmed": True}
    schedule = {
        "service_id": str(y.service_id),
        "weekdays": ["mon"],
        "start_time": "08:00",
        "end_time": "09:00",
        "slot_minutes": 15,
        "capacity": 1,
        "valid_from": str(date.today()),
        "valid_to": str(date.today()),
    }
    return [
        ("GET", appointments, None),  # the establishment itself, named in the console's header
        ("GET", f"{appointments}/appointments", None),
        ("GET", f"{appointments}/appointments/{appointment_id}", None),
        ("POST", f"{appointments}/appointments/{appointment_id}/arrived", {}),
        ("POST", f"{appointments}/appointments/{appointment_id}/noshow", {}),
        ("POST", f"{appointments}/appointments/{appointment_id}/fulfilled", {}),
        ("GET", f"{appointments}/services", None),
        ("GET", f"{appointments}/schedules", None),
        ("POST", f"{appointments}/schedules", schedule),
        ("POST", f"{verification}/identity-validations", {"account_id": account_id, "sex": "M", **person}),
        (
            "POST",
            f"{verification}/association-validations",
            {"account_id": account_id, "person_id": str(uuid.uuid4()), **person},
        ),
        ("GET", f"{verification}/verification-states?account_ids={account_id}", None),
        ("GET", f"{verification}/audit", None),
        ("GET", f"{verification}/association-requests", None),
        ("POST", f"{verification}/association-requests/{request_id}/accept", person),
        ("POST", f"{verification}/association-requests/{request_id}/refuse", {"reason": "Pièce manquante"}),
    ]


def test_every_staff_endpoint_refuses_another_clinics_staff_and_citizens(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink
):
    urls = system.config.database_urls
    y = run_sync(_insert_catalogue(urls["appointments"]))
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "clerk.x@example.org", "clerk"))
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "manager.x@example.org", "manager"))
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        citizen = active_account(client, mail_sink, "patient.y@example.org")
        account_id = client.get("/api/me", headers=citizen).json()["id"]
        appointment = client.post("/api/appointments", json=booking(y.open_slot)).json()["id"]
        # A real request of clinic Y: the citizen's child has their next appointment there.
        child = client.post(
            "/api/me/dependants",
            json={"first_name": "Enfant", "last_name": "Y", "birth_date": "2015-02-02", "sex": "F"},
            headers=citizen,
        ).json()
        booked = client.post(
            "/api/my/appointments", json={"slot_id": str(y.open_slot), "person_id": child["id"]}, headers=citizen
        )
        assert booked.status_code == 201, booked.text
        filed = client.post("/api/my/association-requests", json={"person_id": child["id"]}, headers=citizen)
        assert filed.status_code == 201, filed.text
        endpoints = _staff_endpoints(y, appointment, account_id, filed.json()["id"])
        for who in ("clerk.x@example.org", "manager.x@example.org"):
            staff = staff_auth(client, who)
            for method, path, body in endpoints:
                answer = client.request(method, path, json=body, headers=staff)
                assert answer.status_code in (403, 404), (who, method, path, answer.status_code, answer.text)
        for method, path, body in endpoints:
            for headers in (citizen, {}):
                answer = client.request(method, path, json=body, headers=headers)
                assert answer.status_code in (401, 403), (method, path, answer.status_code)
        # The same paths work for clinic Y's own manager: the refusals above are not typos.
        run_sync(add_staff(urls["accounts"], y.establishment_id, "manager.y@example.org", "manager"))
        own = staff_auth(client, "manager.y@example.org")
        for method, path, _ in endpoints:
            if method == "GET":
                assert client.get(path, headers=own).status_code == 200, path
        requests = client.get(
            f"/api/admin/verification/establishments/{y.establishment_id}/association-requests", headers=own
        ).json()["requests"]
        assert [r["id"] for r in requests] == [filed.json()["id"]]  # still pending: nobody else could touch it
        arrived = client.post(
            f"/api/admin/establishments/{y.establishment_id}/appointments/{appointment}/arrived", headers=own
        )
        assert arrived.status_code == 200, arrived.text


def test_the_staff_names_are_for_the_establishments_own_managers(system: Supervisor, catalogue: Catalogue):
    """Accounts' staff list (names and roles, for the audit log's "Par") answers a manager about their own
    establishment only: not a clerk, not another establishment's manager, not a citizen or nobody."""
    urls = system.config.database_urls
    y = run_sync(_insert_catalogue(urls["appointments"]))
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "names.clerk.x@example.org", "clerk"))
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "names.manager.x@example.org", "manager"))
    run_sync(add_staff(urls["accounts"], y.establishment_id, "names.manager.y@example.org", "manager"))
    with (
        httpx.Client(base_url=system.config.url("gateway"), timeout=10) as gateway,
        httpx.Client(base_url=system.config.url("accounts"), timeout=10) as accounts,
    ):
        clerk_x = staff_auth(gateway, "names.clerk.x@example.org")
        manager_x = staff_auth(gateway, "names.manager.x@example.org")
        manager_y = staff_auth(gateway, "names.manager.y@example.org")
        x = {"establishment_id": str(catalogue.establishment_id)}
        own = accounts.get("/staff", params=x, headers=manager_x)
        assert own.status_code == 200, own.text
        listed = own.json()["staff"]
        assert {"name": "Test clerk", "role": "clerk"} in [{"name": s["name"], "role": s["role"]} for s in listed]
        assert all(set(s) == {"id", "name", "role"} for s in listed)  # no email, no password hash
        assert accounts.get("/staff", params=x, headers=clerk_x).status_code == 403
        assert accounts.get("/staff", params=x, headers=manager_y).status_code == 403
        assert accounts.get("/staff", params=x).status_code == 401
        assert gateway.get("/api/staff", params=x, headers=manager_x).status_code == 404  # not on the public API
