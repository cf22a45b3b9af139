"""The guide's front-desk sequence, screen by screen: Présent, then identity, then association."""

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import active_account
from tests.e2e.clinic_staff import add_staff, slot_soon, suivi_row
from tests.e2e.conftest import Catalogue, booking
from tests.e2e.test_console_browser import _log_in, _show_day

pytestmark = pytest.mark.browser


def fill_birth_date(page: Page, day: str, month: str, year: str) -> None:
    page.get_by_label("Jour").fill(day)
    page.get_by_label("Mois").fill(month)
    page.get_by_label("Année").fill(year)


def _icons(page: Page, patient: str) -> tuple[str | None, str | None]:
    row = suivi_row(page, patient)
    card = row.locator("[data-icon=card]")
    return (
        row.locator("[data-icon=profile]").get_attribute("data-state"),
        card.get_attribute("data-state") if card.count() else None,
    )


def test_present_then_identity_then_association_as_in_the_guide(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, page: Page
):
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "accueil@rosemont.example", "clerk"))
    slot = run_sync(slot_soon(urls["appointments"], catalogue.service_id))
    gateway = system.config.url("gateway")
    with httpx.Client(base_url=gateway, timeout=10) as client:
        auth = active_account(client, mail_sink, "parent.clinique@example.org")
        child = client.post(
            "/api/me/dependants",
            json={"first_name": "Léo", "last_name": "Testeur", "birth_date": "2018-05-05", "sex": "M"},
            headers=auth,
        ).json()
        booked = client.post(
            "/api/my/appointments", json={"slot_id": str(slot.id), "person_id": child["id"]}, headers=auth
        )
        assert booked.status_code == 201, booked.text
        walk_in = client.post("/api/appointments", json=booking(slot.id, first_name="Sans", last_name="Compte"))
        assert walk_in.status_code == 201

    _log_in(page, gateway, "accueil@rosemont.example")
    expect(page.get_by_role("heading", name="Suivi")).to_be_visible()
    _show_day(page, slot.day)
    assert _icons(page, "Testeur, Léo") == ("red", "red")
    assert _icons(page, "Compte, Sans") == ("grey", None)

    # 1. Indiquez présent: the sequence opens the identity window by itself.
    suivi_row(page, "Testeur, Léo").get_by_role("button", name="Présent").click()
    expect(page.get_by_role("heading", name="Confirmation de l'identité du détenteur du compte")).to_be_visible()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Présence indiquée : Léo Testeur.")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Thomas Testeur")
    confirm = page.get_by_role("button", name="Je confirme l'identité du détenteur du compte")
    expect(confirm).to_be_enabled()  # never disabled (GOV.UK): an unticked box is refused in the window
    fill_birth_date(page, "28", "12", "1954")
    page.get_by_label("Homme").check()
    page.get_by_label("NAM (carte d'assurance maladie)").fill("TEST 5412 2816")
    page.get_by_label("Je confirme avoir validé l'identité du détenteur du compte").check()
    confirm.click()

    # 2. The association window names both people.
    expect(page.get_by_role("heading", name="Association du patient")).to_be_visible()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Identité validée pour le rendez-vous de Léo Testeur."
    )
    checkbox = page.get_by_label(
        "Je confirme avoir validé l'identité de Léo Testeur "
        "et son association avec le détenteur du compte Thomas Testeur"
    )
    button = page.get_by_role(
        "button", name="Je confirme l'identité du patient et son association avec le détenteur du compte"
    )
    button.click()
    expect(page.locator("#confirmed-error")).to_contain_text("Cochez la case pour confirmer")
    checkbox.check()
    button.click()

    # 3. Back on the Suivi list: present, identity and association all validated.
    expect(page.get_by_role("heading", name="Suivi")).to_be_visible()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Association validée : Léo Testeur.")
    row = suivi_row(page, "Testeur, Léo")
    expect(row).to_contain_text("Présent")
    expect(row.locator("[data-icon=profile]")).to_have_attribute("data-state", "green")
    expect(row.locator("[data-icon=card]")).to_have_attribute("data-state", "green")
    assert _icons(page, "Compte, Sans") == ("grey", None)
