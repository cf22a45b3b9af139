"""The seed's journey in a browser: search, book for a family member, see it in my appointments, cancel it."""

import pytest
from playwright.sync_api import Page, expect

from shared.devstack.mail_sink import MailSink
from shared.devstack.supervisor import Supervisor
from tests.e2e.accounts_flow import PASSWORD, active_account
from tests.e2e.conftest import Catalogue

pytestmark = pytest.mark.browser


def test_search_book_for_a_dependant_see_it_and_cancel(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, page: Page
):
    import httpx

    gateway = system.config.url("gateway")
    with httpx.Client(base_url=gateway, timeout=10) as client:
        auth = active_account(client, mail_sink, "parent.web@example.org")
        client.post(
            "/api/me/dependants",
            json={"first_name": "Chloé", "last_name": "Testeur", "birth_date": "2016-02-29", "sex": "F"},
            headers=auth,
        )

    page.goto(gateway + "/account/login")
    page.get_by_label("Courriel ou cellulaire").fill("parent.web@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").last.click()
    expect(page.get_by_role("heading", name="Mon compte — Thomas Testeur")).to_be_visible()

    page.get_by_role("link", name="Rendez-vous santé").click()
    page.get_by_label("Code postal").fill("H1T2H1")
    page.get_by_label("Service recherché").fill("prise de sang")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Choisir une heure").first.click()

    page.locator("label.slot").filter(has_text="10 h 30").first.click()
    page.get_by_label("Pour qui ?").select_option(label="Chloé Testeur")
    page.get_by_role("button", name="Réserver").click()
    expect(page.get_by_role("status")).to_contain_text("Chloé Testeur")

    page.get_by_role("link", name="Voir mes rendez-vous").click()
    upcoming = page.locator("#upcoming li.appointment")
    expect(upcoming).to_have_count(1)
    expect(upcoming).to_contain_text("Prise de sang — Chloé Testeur")
    expect(upcoming).to_contain_text("Clinique Test Rosemont")

    upcoming.get_by_role("button", name="Annuler").click()
    expect(page.get_by_role("status")).to_contain_text("Le rendez-vous est annulé")
    expect(page.locator("#upcoming li.appointment")).to_have_count(0)
    expect(page.locator("#past li.appointment")).to_contain_text("Annulé")
