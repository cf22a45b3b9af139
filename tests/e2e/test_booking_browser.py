"""The seed's journey in a browser: search, book for a family member as a signed-in holder, see it listed."""

import re

import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from tests.e2e.accounts_flow import PASSWORD, active_account
from tests.e2e.conftest import Catalogue
from tests.e2e.page_checks import check_page, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser


def test_search_book_for_a_dependant_and_see_it(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, sized_page: Page
):
    import httpx

    page = sized_page
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
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/account(/?$|\?)"))

    page.get_by_role("link", name="Rendez-vous santé").click()
    page.get_by_label("Code postal").fill("H1T2H1")
    page.get_by_label("Service recherché").fill("prise de sang")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("button", name=re.compile("^Choisir une heure")).first.click()

    page.get_by_label("10\u00a0h\u00a030").check()
    check_page(page, "booking page, signed in")
    page.get_by_role("group", name="Pour qui ?").get_by_label("Chloé Testeur").check()
    page.get_by_role("button", name="Réserver").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Rendez-vous confirmé")
    expect(page.locator(".rvs-appointment")).to_contain_text("Chloé Testeur")
    expect(page.locator("form#booking")).to_have_count(0)
    check_page(page, "confirmation, signed in")

    # "Mes rendez-vous" (its listing, cancel and reschedule) is the account pages' subject (their own tests).
    page.get_by_role("link", name="Voir mes rendez-vous").click()
    expect(page.locator("main")).to_contain_text("Chloé Testeur")
