"""Who read my record in a browser, at desktop and phone sizes with axe: from the account's home to the page, the
holder's and the child's entries in their own sections with the staff member's role, in French and English, and
the empty state of an account nobody read; screenshots record-access and record-access-empty."""

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, active_account, wait_until
from tests.e2e.clinic_staff import add_staff, staff_auth
from tests.e2e.page_checks import check_page, screenshot, sized_page_fixture, viewport_fixture  # noqa: F401
from tests.e2e.record_access_flow import accesses, page_session

pytestmark = pytest.mark.browser

CHILD = {"first_name": "Maëlle", "last_name": "Testeur", "birth_date": "2017-06-01", "sex": "F"}


def _sign_in(page: Page, gateway: str, email: str) -> None:
    page.goto(gateway + "/account/login")
    page.get_by_label("Courriel ou cellulaire").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mon compte")


def test_the_page_lists_each_persons_accesses_by_role(
    system: Supervisor, clinics, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    x, _, slots = clinics
    slot = slots[x.establishment_id]
    manager_email = f"gestion.{viewport}@clinique-x.example"
    run_sync(add_staff(system.config.database_urls["accounts"], x.establishment_id, manager_email, "manager"))
    gateway = system.config.url("gateway")
    email, nobody = f"lu.{viewport}@example.org", f"jamais.lu.{viewport}@example.org"
    with httpx.Client(base_url=gateway, timeout=15) as api:
        auth = active_account(api, mail_sink, email)
        active_account(api, mail_sink, nobody)
        account_id = api.get("/api/me", headers=auth).json()["id"]
        child = api.post("/api/me/dependants", json=CHILD, headers=auth).json()
        for person in (None, child["id"]):
            booked = api.post("/api/my/appointments", json={"slot_id": str(slot.id), "person_id": person}, headers=auth)
            assert booked.status_code == 201, booked.text
            if person:
                child_visit = booked.json()["id"]
        manager, clerk = staff_auth(api, manager_email), staff_auth(api, "x@clinique-x.example")
        base = f"/api/admin/establishments/{x.establishment_id}/appointments"
        assert api.get(f"{base}?day={slot.day.isoformat()}", headers=manager).status_code == 200
        assert api.get(f"{base}/{child_visit}", headers=clerk).status_code == 200
        holder = {
            "account_id": account_id,
            "first_name": "Thomas",
            "last_name": "Testeur",
            "birth_date": "1954-12-28",
            "sex": "M",
            "confirmed": True,
        }
        url = f"/api/admin/verification/establishments/{x.establishment_id}/identity-validations"
        wait_until(lambda: api.post(url, json=holder, headers=clerk).status_code == 201, message="no identity")
    with httpx.Client(base_url=gateway, timeout=15) as reader:
        page_session(reader, email)
        wait_until(lambda: len(accesses(reader).get("Maëlle Testeur", [])) == 2, message="the rows never came")

    _sign_in(page, gateway, email)
    page.get_by_role("link", name="Qui a consulté mon dossier").click()
    expect(page.get_by_role("heading", level=1, name="Qui a consulté mon dossier")).to_be_visible()
    expect(page.get_by_text("Loi 25", exact=False)).to_be_visible()
    mine = page.locator("section.record-access-person").filter(has=page.get_by_role("heading", name="Thomas Testeur"))
    expect(mine.locator("tr.record-access-entry")).to_have_count(2)  # the identity, then the day's list
    expect(mine.locator("tr.record-access-entry").first).to_contain_text("Identité validée")
    expect(mine.locator("tr.record-access-entry").first).to_contain_text("Commis")
    expect(mine.locator("tr.record-access-entry").last).to_contain_text("Liste des rendez-vous du jour consultée")
    expect(mine.locator("tr.record-access-entry").last).to_contain_text("Gestionnaire")
    kid = page.locator("section.record-access-person").filter(has=page.get_by_role("heading", name="Maëlle Testeur"))
    expect(kid.locator("tr.record-access-entry").first).to_contain_text("Rendez-vous ouvert")
    expect(kid.locator("tr.record-access-entry").first).to_contain_text("Commis")
    expect(page.get_by_role("main")).not_to_contain_text(manager_email)
    check_page(page, "who read my record")
    screenshot(page, "record-access")

    page.goto(gateway + "/account/record-access?lang=en")
    expect(page.get_by_role("heading", level=1, name="Who read my record")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Appointment opened")
    expect(page.get_by_role("main")).to_contain_text("Manager")
    check_page(page, "who read my record, in English")

    page.context.clear_cookies()
    _sign_in(page, gateway, nobody)
    page.goto(gateway + "/account/record-access")
    expect(page.locator("#record-access-empty")).to_contain_text("Aucun accès n'est inscrit")
    expect(page.locator("section.record-access-person")).to_have_count(0)
    check_page(page, "who read my record, nothing yet")
    screenshot(page, "record-access-empty")
