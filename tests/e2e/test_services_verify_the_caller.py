"""Straight to a service's port, past the gateway: identity headers prove nothing, only a token accounts
signed does; /metrics is on a port of its own (issue 18, finding 10)."""

import uuid

import httpx
import pytest

from devstack.jwt_keys import generate_es256_keypair
from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from devstack.testing.tokens import citizen_headers, staff_headers
from tests.e2e.accounts_flow import active_account
from tests.e2e.clinic_staff import add_staff, staff_auth
from tests.e2e.conftest import Catalogue, booking

NAM = "TEST54122816"
PROCESSES = ("gateway", "accounts", "appointments", "verification", "notifications")


@pytest.fixture
def citizen(system: Supervisor, mail_sink: MailSink, catalogue: Catalogue) -> tuple[str, dict[str, str]]:
    """A citizen with a NAM and an appointment at the catalogue's clinic: (account id, gateway headers)."""
    with httpx.Client(base_url=system.config.url("gateway"), timeout=15) as gateway:
        email = f"direct.{uuid.uuid4().hex[:8]}@example.org"
        headers = active_account(gateway, mail_sink, email, nam=NAM)
        booked = gateway.post("/api/my/appointments", json={"slot_id": str(catalogue.open_slot)}, headers=headers)
        assert booked.status_code == 201, booked.text
        return gateway.get("/api/me", headers=headers).json()["id"], headers


def direct(system: Supervisor, service: str) -> httpx.Client:
    return httpx.Client(base_url=system.config.url(service), timeout=15)


def test_forged_identity_headers_straight_to_a_service_are_refused(
    system: Supervisor, catalogue: Catalogue, citizen: tuple[str, dict[str, str]]
) -> None:
    account_id, _ = citizen
    as_citizen = {"X-Account-Id": account_id}
    as_staff = {
        "X-Staff-Id": str(uuid.uuid4()),
        "X-Establishment-Id": str(catalogue.establishment_id),
        "X-Staff-Role": "manager",
    }
    calls = [
        ("accounts", "/me/booking-form", as_citizen),  # the full NAM, before
        ("accounts", "/me", as_citizen),
        ("appointments", "/my/appointments", as_citizen),
        ("verification", "/my/association-requests", as_citizen),
        ("appointments", f"/admin/establishments/{catalogue.establishment_id}/appointments", as_staff),  # patients
        ("appointments", f"/admin/establishments/{catalogue.establishment_id}/services", as_staff),
    ]
    foreign_key, _ = generate_es256_keypair()
    for service, path, forged in calls:
        with direct(system, service) as client:
            refused = client.get(path, headers=forged)
            assert refused.status_code == 401, (service, path, refused.text)
            assert refused.json()["errors"][0]["code"] == "login_required"
            assert NAM not in refused.text
            # A token of the right shape, signed by any key but accounts', is no better.
            signed_elsewhere = (
                citizen_headers(account_id, private_key=foreign_key)
                if forged is as_citizen
                else staff_headers(catalogue.establishment_id, "manager", private_key=foreign_key)
            )
            assert client.get(path, headers=signed_elsewhere).status_code == 401, (service, path)


def test_a_service_takes_the_identity_from_the_token_accounts_signed(
    system: Supervisor, catalogue: Catalogue, citizen: tuple[str, dict[str, str]]
) -> None:
    account_id, headers = citizen
    with direct(system, "accounts") as accounts:
        me = accounts.get("/me", headers=headers)
        assert (me.status_code, me.json()["id"]) == (200, account_id)
        # The token says who: a header naming someone else changes nothing.
        other = accounts.get("/me", headers={**headers, "X-Account-Id": str(uuid.uuid4())})
        assert other.json()["id"] == account_id
    # A staff token, genuine, opens staff routes only.
    clerk = f"clerk.{uuid.uuid4().hex[:6]}@clinique.example"
    run_sync(add_staff(system.config.database_urls["accounts"], catalogue.establishment_id, clerk, "clerk"))
    with httpx.Client(base_url=system.config.url("gateway"), timeout=15) as gateway:
        staff = staff_auth(gateway, clerk)
    with direct(system, "appointments") as appointments:
        day = appointments.get(f"/admin/establishments/{catalogue.establishment_id}/appointments", headers=staff)
        assert day.status_code == 200, day.text
        for path in ("/my/appointments", "/my/history"):
            assert appointments.get(path, headers=staff).status_code == 403, path
    with direct(system, "accounts") as accounts:
        assert accounts.get("/me/booking-form", headers=staff).status_code == 403


def test_anonymous_bookings_straight_to_the_service_still_need_no_identity(
    system: Supervisor, catalogue: Catalogue
) -> None:
    with direct(system, "appointments") as appointments:
        booked = appointments.post(
            "/appointments", json=booking(catalogue.open_slot, email=f"anon.{uuid.uuid4().hex[:6]}@example.org")
        )
        assert booked.status_code == 201, booked.text


def test_metrics_are_on_their_own_port_only(system: Supervisor) -> None:
    for name in PROCESSES:
        assert httpx.get(f"{system.config.url(name)}/metrics", timeout=10).status_code == 404, name
        scraped = httpx.get(f"{system.config.metrics_url(name)}/metrics", timeout=10)
        assert scraped.status_code == 200, name
        assert "clinic_http_requests_total" in scraped.text, name
