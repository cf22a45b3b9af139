"""The authorization matrix of running a clinic (issue 21): operator, manager and clerk of establishment X, manager
of Y, a citizen and an anonymous caller, against every endpoint of establishments, staff administration, clinic
rules and booking for a caller. Only the intended role at the intended establishment may succeed.

Each endpoint is first tried by every caller it is not meant for (each must be refused: 401, 403 or 404), then by
one it is meant for, which must succeed (a control: a refusal caused by a wrong path cannot pass for a guard).
Endpoints that change something are tried in an order where the control's change does not decide the others'
answers (the refusals come first).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from bench.verify.authz import AuthzReport, Endpoint
from bench.verify.environment import Clinic, VerifyEnvironment
from devstack.testing.fixtures import run_sync
from tests.e2e.clinic_staff import add_staff
from tests.e2e.conftest import _add_slot

OPERATOR, MANAGER_X, CLERK_X, MANAGER_Y, CITIZEN, ANONYMOUS = (
    "operator",
    "manager_x",
    "clerk_x",
    "manager_y",
    "citizen",
    "anonymous",
)
CALLERS = (OPERATOR, MANAGER_X, CLERK_X, MANAGER_Y, CITIZEN, ANONYMOUS)


@dataclass(frozen=True)
class Case:
    endpoint: Endpoint
    allowed: frozenset[str]
    control: str  # the allowed caller whose call must succeed


def _case(method: str, template: str, path: str, allowed: set[str], body: dict[str, Any] | None = None) -> Case:
    control = next(c for c in CALLERS if c in allowed)
    return Case(Endpoint(method, template, path, body), frozenset(allowed), control)


def _establishment_body(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "address": "1000 rue Sainte-Catherine Est",
        "city": "Montréal",
        "postal_code": "H2L 2G9",
        "region": "Montréal",
        "phone": "514 555-0199",
        "opening_hours": {"mon": [["08:00", "16:00"]]},
        "services": [
            {
                "name_fr": "Vaccination",
                "name_en": "Vaccination",
                "duration_minutes": 15,
                "default_capacity": 2,
                "cancel_cutoff_hours": 24,
                "instructions_fr": "Apportez votre carte.",
                "instructions_en": "Bring your card.",
            }
        ],
    }


def _caller_booking(slot_id: uuid.UUID) -> dict[str, Any]:
    return {
        "slot_id": str(slot_id),
        "first_name": f"Appel {uuid.uuid4().hex[:6]}",
        "last_name": "Téléphonique",
        "birth_date": "1948-02-03",
        "email": f"appelant.{uuid.uuid4().hex[:8]}@example.org",
        "language": "fr",
    }


def _cases(x: Clinic, target: str, operated: str, caller_booking: str, later_slot: uuid.UUID) -> list[Case]:
    est = str(x.catalogue.establishment_id)
    service = str(x.catalogue.service_id)
    staff = f"/api/admin/staff/establishments/{est}"
    staff_t = "/api/admin/staff/establishments/{establishment_id}"
    member = f"{staff}/members/{target}"
    member_t = f"{staff_t}/members/{{staff_id}}"
    booking = f"/api/admin/establishments/{est}/caller-bookings"
    booking_t = "/api/admin/establishments/{establishment_id}/caller-bookings"
    front_desk = {MANAGER_X, CLERK_X}
    invitation = {"email": f"nouveau.{uuid.uuid4().hex[:8]}@clinique-x.example", "role": "clerk", "language": "fr"}
    rules = {"cancel_cutoff_hours": 12, "instructions_fr": "À jeun.", "instructions_en": "Fasting."}
    manager = {"establishment_id": est, "email": f"gestion.{uuid.uuid4().hex[:8]}@clinique-x.example", "language": "fr"}
    return [
        _case("GET", staff_t, staff, {MANAGER_X}),
        _case("POST", f"{staff_t}/invitations", f"{staff}/invitations", {MANAGER_X}, invitation),
        _case("POST", f"{member_t}/role", f"{member}/role", {MANAGER_X}, {"role": "manager"}),
        _case("POST", f"{member_t}/role (back)", f"{member}/role", {MANAGER_X}, {"role": "clerk"}),
        _case("POST", f"{member_t}/disable", f"{member}/disable", {MANAGER_X}, {}),
        _case("POST", f"{member_t}/enable", f"{member}/enable", {MANAGER_X}, {}),
        _case("GET", "/api/operator/staff", "/api/operator/staff", {OPERATOR}),
        _case("POST", "/api/operator/staff/managers", "/api/operator/staff/managers", {OPERATOR}, manager),
        _case(
            "POST",
            "/api/operator/staff/{staff_id}/factor-reset",
            f"/api/operator/staff/{target}/factor-reset",
            {OPERATOR},
        ),
        _case("GET", "/api/operator/establishments", "/api/operator/establishments", {OPERATOR}),
        _case(
            "POST",
            "/api/operator/establishments",
            "/api/operator/establishments",
            {OPERATOR},
            _establishment_body(f"Clinique {uuid.uuid4().hex[:6]}"),
        ),
        _case("GET", "/api/operator/establishments/{id}", f"/api/operator/establishments/{operated}", {OPERATOR}),
        _case(
            "PUT",
            "/api/operator/establishments/{id}",
            f"/api/operator/establishments/{operated}",
            {OPERATOR},
            {k: v for k, v in _establishment_body("Clinique renommée").items() if k != "services"},
        ),
        _case(
            "POST",
            "/api/operator/establishments/{id}/services",
            f"/api/operator/establishments/{operated}/services",
            {OPERATOR},
            _establishment_body("")["services"][0] | {"name_fr": "Prélèvements", "name_en": "Blood tests"},
        ),
        _case("GET", "/api/admin/verification/operator-audit", "/api/admin/verification/operator-audit", {OPERATOR}),
        _case(
            "PUT",
            "/api/admin/establishments/{establishment_id}/services/{service_id}/rules",
            f"/api/admin/establishments/{est}/services/{service}/rules",
            {MANAGER_X},
            rules,
        ),
        _case("POST", booking_t, booking, front_desk, _caller_booking(x.catalogue.open_slot)),
        _case(
            "POST",
            f"{booking_t}/{{appointment_id}}/reschedule",
            f"{booking}/{caller_booking}/reschedule",
            front_desk,
            {"slot_id": str(later_slot)},
        ),
        _case("POST", f"{booking_t}/{{appointment_id}}/cancel", f"{booking}/{caller_booking}/cancel", front_desk, {}),
    ]


def check_administration(env: VerifyEnvironment, client: httpx.Client, report: AuthzReport) -> None:
    """Adds the matrix's attempts to `report` (refusals as attempts, failed controls as failures)."""
    x, y = env.clinics
    target_email = f"cible.{uuid.uuid4().hex[:8]}@clinique-x.example"
    run_sync(add_staff(env.database_urls["accounts"], x.catalogue.establishment_id, target_email, "clerk"))
    later = x.catalogue.open_slot_starts_at + timedelta(days=1)
    later_slot = run_sync(_add_slot(env.database_urls["appointments"], x.catalogue.service_id, later, 5))
    headers = {
        OPERATOR: env.operator_headers(),
        MANAGER_X: env.staff_headers(x.manager_email),
        CLERK_X: env.staff_headers(x.clerk_email),
        MANAGER_Y: env.staff_headers(y.manager_email),
        CITIZEN: env.new_citizen().headers,
        ANONYMOUS: {},
    }
    members = client.get(f"/api/admin/staff/establishments/{x.catalogue.establishment_id}", headers=headers[MANAGER_X])
    assert members.status_code == 200, members.text
    target = next(m["staff_id"] for m in members.json()["members"] if m["email"] == target_email)
    created = client.post(
        "/api/operator/establishments", json=_establishment_body("Clinique opérée"), headers=headers[OPERATOR]
    )
    assert created.status_code == 201, created.text
    booked = client.post(
        f"/api/admin/establishments/{x.catalogue.establishment_id}/caller-bookings",
        json=_caller_booking(x.catalogue.open_slot),
        headers=headers[CLERK_X],
    )
    assert booked.status_code == 201, booked.text
    for case in _cases(x, target, created.json()["id"], booked.json()["id"], later_slot):
        for caller in CALLERS:
            if caller in case.allowed:
                continue
            answer = client.request(
                case.endpoint.method, case.endpoint.path, json=case.endpoint.body, headers=headers[caller]
            )
            report.record(caller, case.endpoint, answer)
        answer = client.request(
            case.endpoint.method, case.endpoint.path, json=case.endpoint.body, headers=headers[case.control]
        )
        if not 200 <= answer.status_code < 300:
            report.failed_controls.append(
                f"{case.control}: {case.endpoint.method} {case.endpoint.template} -> "
                f"{answer.status_code} {answer.text[:200]}"
            )
