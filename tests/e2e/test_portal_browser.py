"""The portal page in a real browser (Debian's chromium driven by Playwright)."""

import re

import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from tests.e2e.conftest import Catalogue

pytestmark = pytest.mark.browser


def test_citizen_books_on_the_portal_and_sees_the_confirmation(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, page: Page
):
    page.goto(system.config.url("gateway") + "/")
    page.get_by_label("Code postal").fill("H1T 2H1")
    page.get_by_label("Service recherché").fill("sang")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("li.rvs-result").first).to_contain_text("Clinique Test Rosemont")
    page.get_by_role("button", name=re.compile("^Choisir une heure")).first.click()
    expect(page.get_by_role("heading", name="Prise de sang")).to_be_visible()
    expect(page.get_by_text("Clinique Test Rosemont")).to_be_visible()
    page.get_by_label("10\u00a0h\u00a030").check()
    page.get_by_label("Prénom").fill("Léa")
    page.get_by_label("Nom", exact=True).fill("Gagnon")
    page.get_by_label("Courriel").fill("lea.gagnon@example.org")
    page.get_by_label("Cellulaire").fill("438 555 0199")
    page.get_by_role("button", name="Réserver").click()

    expect(page.locator(".govuk-panel")).to_contain_text("Rendez-vous confirmé")
    expect(page.locator(".govuk-panel")).to_contain_text("10\u00a0h\u00a030")
    expect(page.get_by_role("link", name="Annuler ce rendez-vous")).to_have_attribute(
        "href", re.compile(r"^/appointments/[0-9a-f-]{36}/cancel\?token=")
    )
    expect(page.locator("form#booking")).to_have_count(0)  # nothing left to submit a second time
    [mail] = mail_sink.wait_for_recipient("lea.gagnon@example.org")
    assert mail.recipients == ["lea.gagnon@example.org"]
    # Booked without an account: the names typed never reach the address (issue 18, finding 6).
    assert mail.body.startswith("Bonjour,\r\n")
    assert "Gagnon" not in mail.body


def test_portal_shows_field_errors_without_losing_the_form(system: Supervisor, catalogue: Catalogue, page: Page):
    page.goto(system.config.url("gateway") + f"/book/{catalogue.service_id}")
    page.get_by_label("10\u00a0h\u00a030").check()
    page.get_by_label("Prénom").fill("Léa")
    page.get_by_label("Nom", exact=True).fill("Gagnon")
    page.get_by_label("Cellulaire").fill("12")
    page.get_by_role("button", name="Réserver").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Numéro de téléphone invalide.")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Prénom")).to_have_value("Léa")
    expect(page.get_by_label("10\u00a0h\u00a030")).to_be_checked()
    summary.get_by_role("link", name="Numéro de téléphone invalide.").click()
    expect(page.get_by_label("Cellulaire")).to_be_focused()


def test_portal_switches_to_english(system: Supervisor, catalogue: Catalogue, page: Page):
    page.goto(system.config.url("gateway") + f"/book/{catalogue.service_id}?lang=en")
    expect(page.get_by_role("heading", name="Blood test")).to_be_visible()
    expect(page.get_by_label("Mobile phone")).to_be_visible()
    expect(page.get_by_role("group", name=re.compile(r"^Choose a time on \w+day, "))).to_be_visible()


def test_a_bad_postal_code_is_explained(system: Supervisor, page: Page):
    page.goto(system.config.url("gateway") + "/?postal_code=ZZZ")
    expect(page.get_by_role("alert")).to_contain_text("postal")
    expect(page.locator("#postal_code-error")).to_be_visible()
