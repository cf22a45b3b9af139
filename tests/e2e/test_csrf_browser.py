"""Cross-site request forgery as the review ran it: a page of another origin on the same site (another port
of 127.0.0.1, whose requests carry the portal's SameSite cookies) posts the portal's and the console's forms."""

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, active_account
from tests.e2e.clinic_staff import STAFF_PASSWORD, add_staff, enter_code, slot_soon, staff_auth, totp_secret_for
from tests.e2e.conftest import Catalogue, booking

pytestmark = pytest.mark.browser
ATTACKER = "http://127.0.0.1:9"  # never listened on: Playwright serves the attacker's page itself


def _attacker_posts(page: Page, action: str, fields: dict[str, str]) -> None:
    """Opens a page of the attacker's origin that submits a form to `action` as soon as it loads."""
    inputs = "".join(f'<input type="hidden" name="{name}" value="{value}">' for name, value in fields.items())
    html = f'<form id="f" method="post" action="{action}">{inputs}</form><script>f.submit()</script>'
    page.route(f"{ATTACKER}/**", lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.goto(f"{ATTACKER}/prize")
    page.wait_for_url(action)


def test_a_same_site_page_cannot_change_a_signed_in_citizens_profile(
    system: Supervisor, mail_sink: MailSink, page: Page
):
    gateway = system.config.url("gateway")
    email = "csrf.profile@example.org"
    with httpx.Client(base_url=gateway, timeout=10) as client:
        bearer = active_account(client, mail_sink, email)
        before = client.get("/api/me", headers=bearer).json()
    page.goto(gateway + "/account/login")
    page.get_by_label("Courriel ou cellulaire").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").last.click()
    expect(page.get_by_role("heading", name="Mon compte", exact=False).first).to_be_visible()

    forged = {"first_name": "Pirate", "last_name": "Pirate", "birth_date": "1990-01-01", "notify": "email"}
    _attacker_posts(page, gateway + "/account/profile", forged)
    expect(page.get_by_role("heading", name="Accès refusé", exact=True)).to_be_visible()
    with httpx.Client(base_url=gateway, timeout=10) as client:
        after = client.get("/api/me", headers=bearer).json()
    assert after["first_name"] == before["first_name"] != "Pirate"


def test_a_same_site_page_cannot_sign_a_visitor_into_the_attackers_account(
    system: Supervisor, mail_sink: MailSink, page: Page
):
    gateway = system.config.url("gateway")
    with httpx.Client(base_url=gateway, timeout=10) as client:
        active_account(client, mail_sink, "csrf.attacker@example.org")
    _attacker_posts(page, gateway + "/account/login", {"identifier": "csrf.attacker@example.org", "password": PASSWORD})
    expect(page.get_by_role("heading", name="Accès refusé", exact=True)).to_be_visible()
    assert not [c for c in page.context.cookies() if "access_token" in c["name"]]


def test_a_same_site_page_cannot_mark_a_patient_absent_in_the_console(
    system: Supervisor, catalogue: Catalogue, page: Page
):
    gateway = system.config.url("gateway")
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "csrf.clerk@clinique.example", "clerk"))
    slot = run_sync(slot_soon(urls["appointments"], catalogue.service_id))
    booked = httpx.post(f"{gateway}/api/appointments", json=booking(slot.id))
    assert booked.status_code == 201
    appointment = booked.json()["id"]
    page.goto(gateway + "/admin")
    page.get_by_label("Courriel professionnel").fill("csrf.clerk@clinique.example")
    page.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Se connecter").last.click()
    enter_code(page, totp_secret_for("csrf.clerk@clinique.example"))
    expect(page.get_by_role("heading", name="Suivi", exact=False).first).to_be_visible()

    _attacker_posts(page, f"{gateway}/admin/appointments/{appointment}/noshow", {"day": slot.day.isoformat()})
    expect(page.get_by_role("heading", name="Accès refusé", exact=True)).to_be_visible()
    with httpx.Client(base_url=gateway, timeout=10) as client:
        staff = staff_auth(client, "csrf.clerk@clinique.example")
        listed = client.get(
            f"/api/admin/establishments/{catalogue.establishment_id}/appointments",
            params={"day": slot.day.isoformat()},
            headers=staff,
        )
    assert listed.status_code == 200, listed.text
    [entry] = [e for e in listed.json() if e["id"] == appointment]
    assert entry["status"] == "booked"
