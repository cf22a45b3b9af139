"""Moving an appointment from "Mes rendez-vous" when the clinic has many days of free times, and when the time
chosen is taken meanwhile: the days page on, and the refusal shows in the form."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from tests.e2e.accounts_flow import PASSWORD, active_account
from tests.e2e.conftest import Catalogue, add_slot
from tests.e2e.page_checks import check_page, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser


def test_reschedule_pages_on_to_later_days_and_shows_a_refusal_in_the_form(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    gateway = system.config.url("gateway")
    email = f"many.days.{viewport}@example.org"
    for day in range(4, 12):  # eight more days with a free time at 09:00 Montréal (14:00 UTC in winter)
        add_slot(system, catalogue, days=day, hour_utc=14, capacity=1)
    with httpx.Client(base_url=gateway, timeout=10) as client:
        auth = active_account(client, mail_sink, email)
        booked = client.post("/api/my/appointments", json={"slot_id": str(catalogue.open_slot)}, headers=auth)
        assert booked.status_code in (200, 201), booked.text

    page.goto(gateway + "/account/appointments")  # sign-in first, then back here (?next=)
    page.get_by_label("Courriel ou cellulaire").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Mes rendez-vous")).to_be_visible()

    page.get_by_role("link", name=re.compile("^Déplacer")).click()
    expect(page.get_by_role("radio")).to_have_count(5)  # five days shown, one time each
    page.get_by_role("link", name="Voir les jours suivants").click()
    expect(page.get_by_role("radio").first).to_be_visible()
    check_page(page, "reschedule, later days")
    page.get_by_role("link", name="Revenir aux premières heures libres").click()
    expect(page.get_by_role("radio")).to_have_count(5)

    # Someone else takes the first time offered before this citizen presses the button.
    first = page.get_by_role("radio").first
    taken = first.get_attribute("value")
    with httpx.Client(base_url=gateway, timeout=10) as client:
        other = active_account(client, mail_sink, f"other.{viewport}@example.org")
        assert client.post("/api/my/appointments", json={"slot_id": taken}, headers=other).status_code in (200, 201)
    first.check()
    page.get_by_role("button", name="Déplacer à cette heure").click()
    expect(page.get_by_role("alert")).to_contain_text("Il y a un problème")
    expect(page.get_by_role("heading", name="Choisir une nouvelle heure")).to_be_visible()
    check_page(page, "reschedule refused: time taken")
