"""The seed's journey in a browser: search, book for a family member as a signed-in holder, see it listed."""

import re

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
    page.get_by_role("button", name=re.compile("^Choisir une heure")).first.click()

    page.get_by_label("10 h 30").check()
    page.get_by_role("group", name="Pour qui ?").get_by_label("Chloé Testeur").check()
    page.get_by_role("button", name="Réserver").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Rendez-vous confirmé")
    expect(page.locator(".rvs-appointment")).to_contain_text("Chloé Testeur")
    expect(page.locator("form#booking")).to_have_count(0)

    # "Mes rendez-vous" (its listing, cancel and reschedule) is the account pages' subject (their own tests).
    page.get_by_role("link", name="Voir mes rendez-vous").click()
    expect(page.locator("main")).to_contain_text("Chloé Testeur")
