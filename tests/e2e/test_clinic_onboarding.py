"""Putting a clinic on the platform, end to end through the gateway (issue 21): an operator creates an establishment
and appoints its first manager; the manager accepts the e-mailed invitation, enrols a second factor and invites a
clerk; the clerk does the same and signs in with a TOTP code; the clerk books for a caller without an account, who
receives the usual confirmation; Suivi shows the row grey; the manager reads every one of those actions in the audit
log; a clerk the manager disables is refused at the very next request."""

import re
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pyotp

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import wait_until
from tests.e2e.clinic_staff import MONTREAL, add_operator, staff_auth

PASSWORD = "une clinique de quartier au soleil"
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _invitation_token(mail_sink: MailSink, email: str) -> str:
    (mail,) = mail_sink.wait_for_recipient(email, timeout=15)
    found = re.search(r"/admin/invitation\?token=([A-Za-z0-9_\-]+)", mail.body)
    assert found, mail.body
    return found.group(1)


def _code(secret: str, after_step: int | None = None) -> tuple[str, int]:
    """The current code and its time step; a step newer than `after_step` (a code works once)."""
    totp = pyotp.TOTP(secret)
    while (step := int(time.time()) // 30) == after_step:
        time.sleep(0.5)
    return totp.at(step * 30), step


def _join(client: httpx.Client, mail_sink: MailSink, email: str, name: str) -> tuple[dict[str, str], str, int]:
    """Accepts the invitation sent to `email`, signs in and enrols a second factor: (headers, secret, step used)."""
    token = _invitation_token(mail_sink, email)
    looked_up = client.post("/api/staff/invitations/lookup", json={"token": token})
    assert looked_up.status_code == 200, looked_up.text
    assert looked_up.json()["existing_account"] is False
    accepted = client.post("/api/staff/invitations/accept", json={"token": token, "name": name, "password": PASSWORD})
    assert accepted.status_code == 201, accepted.text
    again = client.post("/api/staff/invitations/accept", json={"token": token, "name": name, "password": PASSWORD})
    assert again.status_code == 404, "an invitation works once"
    step = client.post("/api/staff/sessions", json={"email": email, "password": PASSWORD})
    assert step.status_code == 200, step.text
    assert step.json()["next"] == "enrol"
    secret = step.json()["enrolment"]["secret"]
    assert f"secret={secret}" in step.json()["enrolment"]["otpauth_uri"]
    code, used = _code(secret)
    enrolled = client.post("/api/staff/sessions/enrolment", json={"challenge": step.json()["challenge"], "code": code})
    assert enrolled.status_code == 200, enrolled.text
    assert len(enrolled.json()["recovery_codes"]) == 10
    return {"authorization": f"Bearer {enrolled.json()['access_token']}"}, secret, used


def _audit_actions(client: httpx.Client, establishment: str, manager: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get(f"/api/admin/verification/establishments/{establishment}/audit", headers=manager)
    assert answer.status_code == 200, answer.text
    return answer.json()["entries"]


def test_an_operator_puts_a_clinic_on_the_platform_and_its_staff_run_a_day(system: Supervisor, mail_sink: MailSink):
    urls = system.config.database_urls
    operator_email = f"operateur.{uuid.uuid4().hex[:6]}@sante.example"
    add_operator(urls["accounts"], operator_email)
    manager_email = f"gestion.{uuid.uuid4().hex[:6]}@clinique-du-parc.example"
    clerk_email = f"commis.{uuid.uuid4().hex[:6]}@clinique-du-parc.example"
    caller_email = f"appelant.{uuid.uuid4().hex[:6]}@example.org"
    with httpx.Client(base_url=system.config.url("gateway"), timeout=15) as client:
        operator = staff_auth(client, operator_email)

        # The operator creates the establishment with one service and its clinic rules.
        created = client.post(
            "/api/operator/establishments",
            headers=operator,
            json={
                "name": "Clinique du Parc",
                "address": "4500, avenue du Parc",
                "city": "Montréal",
                "postal_code": "H2V 4E4",
                "region": "Montréal",
                "phone": "514 555-0142",
                "opening_hours": {
                    day: [["08:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                },
                "services": [
                    {
                        "name_fr": "Vaccination antigrippale",
                        "name_en": "Flu shot",
                        "duration_minutes": 15,
                        "default_capacity": 2,
                        "cancel_cutoff_hours": 24,
                        "instructions_fr": "Apportez votre carte d'assurance maladie.",
                        "instructions_en": "Bring your health insurance card.",
                    }
                ],
            },
        )
        assert created.status_code == 201, created.text
        establishment = created.json()["id"]
        service = created.json()["services"][0]["id"]

        # ... and appoints its first manager, who joins by the e-mailed link and enrols a second factor.
        appointed = client.post(
            "/api/operator/staff/managers",
            headers=operator,
            json={"establishment_id": establishment, "email": manager_email, "language": "fr"},
        )
        assert appointed.status_code == 201, appointed.text
        manager, _, _ = _join(client, mail_sink, manager_email, "Gabrielle Gestion")

        # The manager opens a schedule and invites a clerk.
        tomorrow = (datetime.now(MONTREAL) + timedelta(days=2)).date()
        schedule = client.post(
            f"/api/admin/establishments/{establishment}/schedules",
            headers=manager,
            json={
                "service_id": service,
                "weekdays": list(WEEK),
                "start_time": "09:00",
                "end_time": "11:00",
                "slot_minutes": 15,
                "capacity": 2,
                "valid_from": tomorrow.isoformat(),
                "valid_to": tomorrow.isoformat(),
            },
        )
        assert schedule.status_code == 201, schedule.text
        invited = client.post(
            f"/api/admin/staff/establishments/{establishment}/invitations",
            headers=manager,
            json={"email": clerk_email, "role": "clerk", "language": "fr"},
        )
        assert invited.status_code == 201, invited.text
        _, secret, used = _join(client, mail_sink, clerk_email, "Camille Commis")

        # The clerk signs in again, now with a TOTP code from the enrolled authenticator.
        step = client.post("/api/staff/sessions", json={"email": clerk_email, "password": PASSWORD})
        assert step.status_code == 200, step.text
        assert step.json()["next"] == "totp"
        code, _ = _code(secret, after_step=used)
        signed_in = client.post("/api/staff/sessions/totp", json={"challenge": step.json()["challenge"], "code": code})
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["establishment_id"] == establishment
        clerk = {"authorization": f"Bearer {signed_in.json()['access_token']}"}

        # The clerk books for a caller on the phone, who has no account.
        slots = client.get("/api/slots", params={"service_id": service})
        assert slots.status_code == 200, slots.text
        slot = slots.json()[0]
        booked = client.post(
            f"/api/admin/establishments/{establishment}/caller-bookings",
            headers=clerk,
            json={
                "slot_id": slot["id"],
                "first_name": "Rosaire",
                "last_name": "Téléphone",
                "birth_date": "1941-07-14",
                "email": caller_email,
                "language": "fr",
            },
        )
        assert booked.status_code == 201, booked.text
        (confirmation,) = mail_sink.wait_for_recipient(caller_email, timeout=15)
        assert "Vaccination antigrippale" in confirmation.body
        assert "Apportez votre carte d'assurance maladie." in confirmation.body

        # Suivi shows the caller's row grey: booked without an account.
        day = datetime.fromisoformat(slot["starts_at"]).astimezone(MONTREAL).date()
        listed = client.get(
            f"/api/admin/establishments/{establishment}/appointments", params={"day": day.isoformat()}, headers=clerk
        )
        assert listed.status_code == 200, listed.text
        (row,) = [r for r in listed.json() if r["id"] == booked.json()["id"]]
        assert (row["booked_with_account"], row["profile_icon"], row["card_icon"]) == (False, "grey", "grey")

        # The manager disables the clerk: the clerk's very next request is refused.
        members = client.get(f"/api/admin/staff/establishments/{establishment}", headers=manager).json()["members"]
        clerk_id = next(m["staff_id"] for m in members if m["email"] == clerk_email)
        disabled = client.post(
            f"/api/admin/staff/establishments/{establishment}/members/{clerk_id}/disable", headers=manager
        )
        assert disabled.status_code == 200, disabled.text
        wait_until(
            lambda: (
                client.get(
                    f"/api/admin/establishments/{establishment}/appointments",
                    params={"day": day.isoformat()},
                    headers=clerk,
                ).status_code
                == 401
            ),
            timeout=5,
            message="the disabled clerk's session still works",
        )
        refused = client.post("/api/staff/sessions", json={"email": clerk_email, "password": PASSWORD})
        assert refused.status_code in (401, 403), refused.text

        # The manager reads each of those actions in the audit log, with who did it.
        wanted = {
            "establishment_created",
            "staff_invited",
            "invitation_accepted",
            "factor_enrolled",
            "caller_booked",
            "disabled",
        }
        wait_until(
            lambda: wanted <= {e["action"] for e in _audit_actions(client, establishment, manager)},
            timeout=15,
            message="the audit log misses some of the day's actions",
        )
        entries = _audit_actions(client, establishment, manager)
        by_action = {e["action"]: e for e in entries}
        assert by_action["caller_booked"]["actor"] == clerk_id
        assert by_action["caller_booked"]["details"]["appointment_id"] == booked.json()["id"]
        assert by_action["disabled"]["details"].get("staff_id") == clerk_id
        invitations = [e for e in entries if e["action"] == "staff_invited"]
        assert {e["details"]["role"] for e in invitations} == {"manager", "clerk"}
        assert len(invitations) == 2


def test_the_command_line_creates_an_establishment(system: Supervisor, tmp_path):
    """The operators' command line (which `make run`'s demo data also uses) goes through the same use case."""
    spec = tmp_path / "establishment.json"
    spec.write_text(
        '{"name": "CLSC en ligne de commande", "address": "1 rue Principale", "city": "Laval", '
        '"postal_code": "H7N 1A1", "region": "Laval", "phone": "450 555-0100", "opening_hours": {}, "services": []}'
    )
    env = {"APPOINTMENTS_DATABASE_URL": system.config.database_urls["appointments"], "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "services.appointments.cli", "create-establishment", "--file", str(spec)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    created = uuid.UUID(done.stdout.strip().split()[-1])
    stored = run_sync(_establishment_name(system.config.database_urls["appointments"], created))
    assert stored == "CLSC en ligne de commande"


async def _establishment_name(url: str, establishment_id: uuid.UUID) -> str | None:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return await conn.fetchval("SELECT name FROM establishments WHERE id = $1", establishment_id)
    finally:
        await conn.close()
