"""Association requests on screen: the citizen asks from the account, the clerk accepts in the console
(the button stays inactive until the box naming both people is ticked), the citizen sees the answer."""

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, active_account, wait_until
from tests.e2e.clinic_staff import add_staff, slot_soon, staff_auth
from tests.e2e.conftest import Catalogue
from tests.e2e.test_console_browser import _log_in

pytestmark = pytest.mark.browser

EMAIL = "demande.web@example.org"


def test_citizen_asks_and_the_clerk_accepts_in_the_console(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, page: Page
):
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "demandes@rosemont.example", "clerk"))
    slot = run_sync(slot_soon(urls["appointments"], catalogue.service_id)).id
    gateway = system.config.url("gateway")
    with httpx.Client(base_url=gateway, timeout=10) as client:
        auth = active_account(client, mail_sink, EMAIL)
        account_id = client.get("/api/me", headers=auth).json()["id"]
        child = client.post(
            "/api/me/dependants",
            json={"first_name": "Maëlle", "last_name": "Testeur", "birth_date": "2017-06-01", "sex": "F"},
            headers=auth,
        ).json()
        booked = client.post(
            "/api/my/appointments", json={"slot_id": str(slot), "person_id": child["id"]}, headers=auth
        )
        assert booked.status_code == 201, booked.text
        # The holder was identified at an earlier visit. Verification hears of the child's appointment an
        # event after the booking: until then the clinic may not validate anyone of this account.
        clerk = staff_auth(client, "demandes@rosemont.example")
        holder = {
            "account_id": account_id,
            "first_name": "Thomas",
            "last_name": "Testeur",
            "birth_date": "1954-12-28",
            "sex": "M",
            "confirmed": True,
        }
        url = f"/api/admin/verification/establishments/{catalogue.establishment_id}/identity-validations"
        wait_until(
            lambda: client.post(url, json=holder, headers=clerk).status_code == 201,
            message="the clinic could not validate the holder's identity",
        )

    page.goto(gateway + "/account/login")
    page.get_by_label("Courriel ou cellulaire").fill(EMAIL)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").last.click()
    page.get_by_role("link", name="Demander l'association d'une personne à mon compte").click()
    expect(page.get_by_role("heading", name="Demandes d'association")).to_be_visible()
    person = page.locator("ul.association-requests li").filter(has_text="Maëlle Testeur")
    person.get_by_role("button", name="Demander l'association").click()
    expect(page.get_by_role("alert")).to_contain_text("clinique de son prochain rendez-vous")
    expect(person.locator(".request-status")).to_have_text("En attente de la clinique")
    citizen_page = page.url

    clerk = page.context.browser.new_context(locale="fr-CA").new_page()
    _log_in(clerk, gateway, "demandes@rosemont.example")
    clerk.get_by_role("link", name="Demandes d'association").click()
    request = clerk.locator("section.association-request").filter(has_text="Maëlle Testeur")
    expect(request).to_contain_text("Thomas Testeur")
    accept = request.get_by_role("button", name="Accepter la demande")
    expect(accept).to_be_enabled()  # never disabled (GOV.UK): an unticked box is refused
    request.get_by_label(
        "Je confirme avoir validé l'identité de Maëlle Testeur et son association avec le détenteur du compte "
        "Thomas Testeur"
    ).check()
    accept.click()
    expect(clerk.locator(".govuk-notification-banner")).to_contain_text("Demande traitée.")
    expect(clerk.get_by_text("Aucune demande en attente.")).to_be_visible()
    clerk.context.close()

    page.goto(citizen_page)
    expect(person.locator(".request-status")).to_have_text("Acceptée")
