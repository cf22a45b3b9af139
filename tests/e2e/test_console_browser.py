"""The clinic console in a browser: staff sign-in, the day's list, attendance, schedules."""

import re
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.clinic_staff import add_staff, log_in, slot_soon, suivi_row
from tests.e2e.conftest import Catalogue, booking

pytestmark = pytest.mark.browser


def _log_in(page: Page, gateway: str, email: str) -> None:
    log_in(page, gateway, email)


def _show_day(page: Page, day: date) -> None:
    """Pick the slot's day on the Suivi list: tomorrow's when the test runs in the clinic's last half hour."""
    page.locator("#go-day").fill(str(day.day))
    page.locator("#go-month").fill(str(day.month))
    page.locator("#go-year").fill(str(day.year))
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(re.compile(f"day={day.isoformat()}$"))


def test_clerk_sees_the_day_and_marks_the_patient_present(system: Supervisor, catalogue: Catalogue, page: Page):
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "commis@rosemont.example", "clerk"))
    slot = run_sync(slot_soon(urls["appointments"], catalogue.service_id))
    gateway = system.config.url("gateway")
    assert httpx.post(f"{gateway}/api/appointments", json=booking(slot.id, first_name="Hélène")).status_code == 201

    _log_in(page, gateway, "commis@rosemont.example")
    _show_day(page, slot.day)
    row = suivi_row(page, "Tremblay, Hélène")
    expect(row).to_contain_text("Réservé")
    expect(row.locator("[data-icon=profile]")).to_have_attribute("data-state", "grey")
    expect(row.locator("[data-icon=card]")).to_have_count(0)  # no account: the legend's one grey icon
    row.get_by_role("button", name="Présent").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Présence indiquée : Hélène Tremblay.")
    row = suivi_row(page, "Tremblay, Hélène")
    expect(row).to_contain_text("Présent")
    row.get_by_role("button", name="Complété").click()
    expect(suivi_row(page, "Tremblay, Hélène")).to_contain_text("Complété")


def test_manager_creates_a_schedule(system: Supervisor, catalogue: Catalogue, page: Page):
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "gestion@rosemont.example", "manager"))
    gateway = system.config.url("gateway")
    _log_in(page, gateway, "gestion@rosemont.example")
    page.get_by_role("link", name="Horaires").click()
    monday = date.today() + timedelta(days=7 - date.today().weekday() + 7)
    friday, wednesday = monday + timedelta(days=4), monday + timedelta(days=2)
    for prefix, day in (("valid_from", monday), ("valid_to", friday), ("closed-1", wednesday)):
        page.locator(f"#{prefix}-day").fill(str(day.day))
        page.locator(f"#{prefix}-month").fill(str(day.month))
        page.locator(f"#{prefix}-year").fill(str(day.year))
    page.get_by_role("button", name="Continuer").click()
    # Mon-Fri minus the closed Wednesday = 4 days of 08:00-16:00 in 15-minute slots, said before creating.
    expect(page.locator("[data-slot-count]")).to_contain_text("128 plages seront créées du")
    page.locator("[data-schedule-check]").get_by_role("button", name="Créer les plages").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("128 plages créées.")


def test_a_citizen_session_does_not_open_the_console(system: Supervisor, page: Page):
    page.goto(system.config.url("gateway") + "/admin/schedules")
    expect(page.get_by_role("heading", name="Connexion du personnel")).to_be_visible()


def test_a_clerk_has_no_schedules_and_is_told_why(system: Supervisor, catalogue: Catalogue, page: Page):
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "commis.horaires@rosemont.example", "clerk"))
    gateway = system.config.url("gateway")
    # Sign-in brings the clerk back to the page asked for: here, one that is not theirs.
    log_in(page, gateway, "commis.horaires@rosemont.example", "/admin/schedules")
    expect(page).to_have_url(gateway + "/admin/schedules")
    expect(page.get_by_role("heading", name="Réservé aux gestionnaires")).to_be_visible()
    expect(page.locator("form[action='/admin/schedules']")).to_have_count(0)
    expect(page.get_by_role("link", name="Horaires")).to_have_count(0)
    assert httpx.get(page.url, cookies={c["name"]: c["value"] for c in page.context.cookies()}).status_code == 403
    expect(page).to_have_title("Réservé aux gestionnaires – Console des établissements")
