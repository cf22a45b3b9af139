"""How long a clinic's validation holds: across clinics, until identity fields or the family change."""

import time
import uuid

import httpx

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from tests.e2e.accounts_flow import active_account
from tests.e2e.clinic_staff import ClinicSlot, staff_auth


def _icons(
    client: httpx.Client, staff: dict[str, str], establishment: uuid.UUID, slot: ClinicSlot, appointment_id: str
) -> tuple[str, str]:
    rows = client.get(
        f"/api/admin/establishments/{establishment}/appointments", params={"day": slot.day.isoformat()}, headers=staff
    )
    assert rows.status_code == 200, rows.text
    row = next(r for r in rows.json() if r["id"] == appointment_id)
    return row["profile_icon"], row["card_icon"]


def _eventually(check, expected, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while (value := check()) != expected:
        assert time.monotonic() < deadline, f"{value} != {expected}"
        time.sleep(0.05)


def test_identity_holds_across_clinics_until_the_birth_date_changes(system: Supervisor, clinics, mail_sink: MailSink):
    x, y, slots = clinics
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        citizen = active_account(client, mail_sink, "valide@example.org")
        at_x = client.post("/api/my/appointments", json={"slot_id": str(slots[x.establishment_id].id)}, headers=citizen)
        assert at_x.status_code == 201, at_x.text
        account_id = at_x.json()["person_id"]
        clerk_x, clerk_y = staff_auth(client, "x@clinique-x.example"), staff_auth(client, "y@clinique-y.example")
        assert _icons(client, clerk_x, x.establishment_id, slots[x.establishment_id], at_x.json()["id"]) == (
            "red",
            "red",
        )

        validated = client.post(
            f"/api/admin/verification/establishments/{x.establishment_id}/identity-validations",
            json={
                "account_id": account_id,
                "first_name": "Thomas",
                "last_name": "Testeur",
                "birth_date": "1954-12-28",
                "sex": "M",
                "nam": "TEST54122816",
                "confirmed": True,
            },
            headers=clerk_x,
        )
        assert validated.status_code == 201, validated.text
        _eventually(
            lambda: _icons(client, clerk_x, x.establishment_id, slots[x.establishment_id], at_x.json()["id"]),
            ("green", "green"),
        )

        # Clinic Y sees the validation made at clinic X on the citizen's next appointment.
        client.post(f"/api/my/appointments/{at_x.json()['id']}/cancel", headers=citizen)
        at_y = client.post("/api/my/appointments", json={"slot_id": str(slots[y.establishment_id].id)}, headers=citizen)
        assert at_y.status_code == 201, at_y.text
        assert _icons(client, clerk_y, y.establishment_id, slots[y.establishment_id], at_y.json()["id"]) == (
            "green",
            "green",
        )
        # ...but clerk X cannot read clinic Y's list or act there.
        forbidden = client.get(f"/api/admin/establishments/{y.establishment_id}/appointments", headers=clerk_x)
        assert forbidden.status_code == 404

        assert client.patch("/api/me", json={"birth_date": "1954-12-29"}, headers=citizen).status_code == 200
        _eventually(
            lambda: _icons(client, clerk_y, y.establishment_id, slots[y.establishment_id], at_y.json()["id"]),
            ("red", "red"),
        )


def test_association_turns_red_when_the_dependant_is_removed_and_re_added(
    system: Supervisor, clinics, mail_sink: MailSink
):
    x, _, slots = clinics
    slot = str(slots[x.establishment_id].id)
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        citizen = active_account(client, mail_sink, "famille.validee@example.org")
        kid = {"first_name": "Éva", "last_name": "Testeur", "birth_date": "2019-03-03", "sex": "F"}
        child = client.post("/api/me/dependants", json=kid, headers=citizen).json()
        booked = client.post("/api/my/appointments", json={"slot_id": slot, "person_id": child["id"]}, headers=citizen)
        assert booked.status_code == 201, booked.text
        account_id = client.get("/api/me", headers=citizen).json()["id"]
        clerk = staff_auth(client, "x@clinique-x.example")
        base = f"/api/admin/verification/establishments/{x.establishment_id}"
        identity = {"account_id": account_id, "first_name": "Thomas", "last_name": "Testeur"}
        identity |= {"birth_date": "1954-12-28", "sex": "M", "confirmed": True}
        association = {"account_id": account_id, "person_id": child["id"], **{k: kid[k] for k in kid if k != "sex"}}
        association["confirmed"] = True

        too_early = client.post(f"{base}/association-validations", json=association, headers=clerk)
        assert too_early.status_code == 409  # identity first, then association
        assert client.post(f"{base}/identity-validations", json=identity, headers=clerk).status_code == 201
        assert client.post(f"{base}/association-validations", json=association, headers=clerk).status_code == 201
        appointment = booked.json()["id"]
        _eventually(
            lambda: _icons(client, clerk, x.establishment_id, slots[x.establishment_id], appointment),
            ("green", "green"),
        )

        assert client.delete(f"/api/me/dependants/{child['id']}", headers=citizen).status_code == 204
        _eventually(
            lambda: _icons(client, clerk, x.establishment_id, slots[x.establishment_id], appointment), ("green", "red")
        )

        again = client.post("/api/me/dependants", json=kid, headers=citizen).json()
        rebooked = client.post(
            "/api/my/appointments", json={"slot_id": slot, "person_id": again["id"]}, headers=citizen
        )
        assert rebooked.status_code == 201, rebooked.text
        assert _icons(client, clerk, x.establishment_id, slots[x.establishment_id], rebooked.json()["id"]) == (
            "green",
            "red",
        )
