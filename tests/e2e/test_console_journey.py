"""The clinic console as a clerk and a manager use it, at a desk (1366x900) and on a phone (390x844), with axe-core
and no sideways scroll at every page and state: sign in, Suivi, Présent, the identity window (a refusal shown in
it), the association window, the legend; a manager reads the audit log."""

import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import active_account
from tests.e2e.clinic_staff import STAFF_PASSWORD, add_staff, enter_code, slot_soon, suivi_row, totp_secret_for
from tests.e2e.conftest import Catalogue, booking
from tests.e2e.page_checks import check_page, screenshot, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser


def _sign_in(page: Page, gateway: str, email: str) -> None:
    page.goto(gateway + "/admin")
    expect(page.get_by_role("heading", name="Connexion du personnel")).to_be_visible()
    expect(page).to_have_title("Connexion du personnel – Console des établissements")
    expect(page.get_by_role("link", name="Créer un compte")).to_have_count(0)  # no citizen links in the console
    check_page(page, "console sign-in")
    page.get_by_label("Courriel professionnel").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill("not the password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    check_page(page, "console sign-in refused")
    page.get_by_label("Mot de passe", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Entrez le code de votre application")).to_be_visible()
    check_page(page, "console sign-in second factor")
    enter_code(page, totp_secret_for(email))


def _icons_by_state(page: Page) -> dict[str, list[str]]:
    """Each legend state shown on the page -> the markup of its icons (links around them left out)."""
    return page.evaluate(
        """() => {
            const found = {};
            for (const group of document.querySelectorAll('.rvs-icons[data-legend]')) {
                found[group.dataset.legend] = [...group.querySelectorAll('.rvs-icon')].map(i => i.outerHTML);
            }
            return found;
        }"""
    )


def _book_for_a_child_and_self(gateway: str, mail_sink: MailSink, slot: str) -> None:
    with httpx.Client(base_url=gateway, timeout=10) as client:
        auth = active_account(client, mail_sink, "parent.console@example.org")
        child = client.post(
            "/api/me/dependants",
            json={"first_name": "Léo", "last_name": "Testeur", "birth_date": "2018-05-05", "sex": "M"},
            headers=auth,
        ).json()
        booked = client.post("/api/my/appointments", json={"slot_id": slot, "person_id": child["id"]}, headers=auth)
        assert booked.status_code == 201, booked.text
        own = client.post("/api/my/appointments", json={"slot_id": slot}, headers=auth)
        assert own.status_code == 201, own.text
        cancelled = client.post(f"/api/my/appointments/{own.json()['id']}/cancel", headers=auth)
        assert cancelled.status_code == 200, cancelled.text
        walk_in = client.post("/api/appointments", json=booking(slot, first_name="Sans", last_name="Compte"))
        assert walk_in.status_code == 201, walk_in.text


def test_a_clerk_goes_through_the_front_desk_sequence(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, sized_page: Page
):
    page = sized_page
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "accueil.console@rosemont.example", "clerk"))
    slot = run_sync(slot_soon(urls["appointments"], catalogue.service_id))
    gateway = system.config.url("gateway")
    _book_for_a_child_and_self(gateway, mail_sink, str(slot.id))

    _sign_in(page, gateway, "accueil.console@rosemont.example")
    expect(page.get_by_role("heading", name="Suivi")).to_be_visible()
    expect(page.locator("[data-staff-card]")).to_have_text("Connecté·e : Test clerk, Clinique Test Rosemont")
    if page.viewport_size and page.viewport_size["width"] < 600:
        page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Horaires")).to_have_count(0)  # a clerk's menu has no schedules
    expect(page.get_by_role("link", name="Journal d'audit")).to_have_count(0)
    if slot.day.isoformat() not in page.url:
        page.goto(f"{gateway}/admin?day={slot.day.isoformat()}")
    day_words = page.locator(".rvs-day").inner_text()
    expect(page).to_have_title(f"Suivi – {day_words} – Console des établissements")
    check_page(page, "suivi")
    screenshot(page, "console-suivi")
    before = _icons_by_state(page)
    assert set(before) >= {"holder-and-association-not-validated", "identity-not-validated", "no-account"}
    cancelled = suivi_row(page, "Testeur, Thomas")
    expect(cancelled).to_contain_text("Annulé")
    expect(cancelled.locator("a")).to_have_count(0)  # nothing to validate on a cancelled appointment
    expect(cancelled.get_by_role("button")).to_have_count(0)

    # Day navigation: the next day, written out, and back.
    page.get_by_role("link", name="Journée suivante").click()
    expect(page.locator(".rvs-day")).not_to_have_text(day_words)
    check_page(page, "suivi, next day")
    page.get_by_role("link", name="Journée précédente").click()
    expect(page.locator(".rvs-day")).to_have_text(day_words)
    # Another day, typed in jour / mois / année: a date that is not one is said so, a real one is opened.
    page.locator("#go-day").fill("31")
    page.locator("#go-month").fill("2")
    page.locator("#go-year").fill(str(slot.day.year))
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#go-error")).to_contain_text("La journée doit être une vraie date")
    check_page(page, "suivi, day refused")
    page.locator("#go-day").fill(str(slot.day.day))
    page.locator("#go-month").fill(str(slot.day.month))
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator(".rvs-day")).to_have_text(day_words)

    # 1. Présent opens the identity window, with the stepper and a success message.
    suivi_row(page, "Testeur, Léo").get_by_role("button", name="Présent").click()
    # Léo's booking was made by Thomas: the window identifies the account holder, and says so throughout.
    holder_title = "Confirmation de l'identité du détenteur du compte"
    expect(page.get_by_role("heading", name=holder_title)).to_be_visible()
    expect(page).to_have_title(f"{holder_title} – Console des établissements")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Présence indiquée : Léo Testeur.")
    expect(page.locator(".rvs-stepper__step--done")).to_contain_text("Présence indiquée")
    expect(page.locator("[aria-current=step]")).to_contain_text("Confirmez l'identité du détenteur du compte")
    expect(page.get_by_label("Autre")).to_have_count(0)  # only what the validation API accepts
    confirm = page.get_by_role("button", name="Je confirme l'identité du détenteur du compte")
    expect(confirm).to_be_enabled()  # never disabled: an unticked box is said so in the window
    check_page(page, "identity window")
    screenshot(page, "console-identity")
    confirm.click()
    expect(page.locator("#confirmed-error")).to_contain_text(
        "Cochez la case pour confirmer que vous avez validé l'identité du détenteur du compte."
    )
    check_page(page, "identity window, box not ticked")

    # A refusal of the server shows in the window, the values kept.
    page.get_by_label("Jour").fill("28")
    page.get_by_label("Mois").fill("12")
    page.get_by_label("Année").fill("1954")
    page.get_by_label("Homme").check()
    page.get_by_label("NAM (carte d'assurance maladie)").fill("TEST 12")
    page.get_by_label("Je confirme avoir validé l'identité du détenteur du compte").check()
    confirm.click()
    expect(page.get_by_role("heading", name=holder_title)).to_be_visible()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(page.locator("#nam-error")).to_be_visible()
    expect(page.get_by_label("Jour")).to_have_value("28")
    expect(page.get_by_label("Homme")).to_be_checked()
    expect(page.get_by_label("NAM (carte d'assurance maladie)")).to_have_value("TEST 12")
    expect(page.get_by_label("Je confirme avoir validé l'identité du détenteur du compte")).to_be_checked()
    check_page(page, "identity window, refused")
    screenshot(page, "console-identity-refused")
    page.get_by_label("NAM (carte d'assurance maladie)").fill("")
    page.get_by_role("button", name="Je confirme l'identité du détenteur du compte").click()

    # 2. The association window names both people.
    expect(page.get_by_role("heading", name="Association du patient")).to_be_visible()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Identité validée pour le rendez-vous de Léo Testeur."
    )
    expect(page.locator("[aria-current=step]")).to_contain_text("Validez l'association")
    check_page(page, "association window")
    page.get_by_label(
        "Je confirme avoir validé l'identité de Léo Testeur et son association avec le détenteur du compte "
        "Thomas Testeur"
    ).check()
    page.get_by_role(
        "button", name="Je confirme l'identité du patient et son association avec le détenteur du compte"
    ).click()

    # 3. Back on Suivi: all green, and said so.
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Association validée : Léo Testeur.")
    row = suivi_row(page, "Testeur, Léo")
    expect(row.locator("[data-icon=profile]")).to_have_attribute("data-state", "green")
    expect(row.locator("[data-icon=card]")).to_have_attribute("data-state", "green")
    check_page(page, "suivi after the sequence")
    after = _icons_by_state(page)

    # The legend draws every state exactly as Suivi does.
    expect(page.locator('a[href^="/admin/legend"]')).to_have_count(1)  # in the menu only
    if page.viewport_size and page.viewport_size["width"] < 600:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Légende").click()
    expect(page.get_by_role("heading", name="Légende des icônes du Suivi")).to_be_visible()
    expect(page).to_have_title("Légende des icônes du Suivi – Console des établissements")
    check_page(page, "legend")
    screenshot(page, "console-legend")
    legend = _icons_by_state(page)
    for state, drawn in (before | after).items():
        assert drawn == legend[state], state


def test_a_manager_reads_the_audit_log(system: Supervisor, catalogue: Catalogue, sized_page: Page):
    page = sized_page
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "gestion.console@rosemont.example", "manager"))
    gateway = system.config.url("gateway")
    _sign_in(page, gateway, "gestion.console@rosemont.example")
    expect(page.locator("[data-staff-card]")).to_have_text("Connecté·e : Test manager, Clinique Test Rosemont")
    check_page(page, "suivi (manager)")
    page.goto(gateway + "/admin/audit")
    expect(page.get_by_role("heading", name="Journal d'audit")).to_be_visible()
    expect(page).to_have_title("Journal d'audit – Console des établissements")
    deadline = time.monotonic() + 10  # the Suivi read reaches the log by event
    while page.locator("tr[data-action='patient_records_viewed:day_list']").count() < 1:
        assert time.monotonic() < deadline, page.content()
        time.sleep(0.2)
        page.reload()
    first = page.locator("tr[data-action='patient_records_viewed:day_list']").first
    expect(first).to_contain_text("Consultation de la liste Suivi")
    expect(first.locator("[data-actor]")).to_have_text("Test manager (gestionnaire)")  # a name, not an id
    expect(first.locator("[data-details]")).to_contain_text("rendez-vous affiché")
    assert "_" not in first.locator("[data-details]").inner_text()  # no English keys
    check_page(page, "audit log")
    screenshot(page, "console-audit")
    page.goto(gateway + "/admin/schedules")
    expect(page.get_by_role("heading", name="Horaires", exact=True)).to_be_visible()
    expect(page).to_have_title("Horaires – Console des établissements")
    check_page(page, "schedules")
    # An empty form: each field says what it needs, once.
    for field in ("#start_time", "#end_time"):
        page.locator(field).fill("")
    page.get_by_role("button", name="Continuer").click()
    expect(page.locator("#start_time-error")).to_contain_text("heure de début")
    expect(page.locator("#valid_from-error")).to_contain_text("premier jour")
    expect(page.locator("#valid_to-error")).to_contain_text("dernier jour")
    check_page(page, "schedules, refused")
    page.locator("#start_time").fill("8 h 00")
    page.locator("#end_time").fill("9:00")
    page.locator("#slot_minutes").fill("30")
    page.locator("#capacity").fill("3")
    for prefix, (day, month, year) in (("valid_from", ("4", "1", "2027")), ("valid_to", ("10", "1", "2027"))):
        page.locator(f"#{prefix}-day").fill(day)
        page.locator(f"#{prefix}-month").fill(month)
        page.locator(f"#{prefix}-year").fill(year)
    page.locator("#closed-1-day").fill("5")
    page.locator("#closed-1-month").fill("1")
    page.locator("#closed-1-year").fill("2027")
    page.get_by_role("button", name="Continuer").click()
    # Mon 4 to Fri 8 January 2027, Tuesday 5 closed: 4 days of 2 slots.
    expect(page.locator("[data-slot-count]")).to_have_text(
        "8 plages seront créées du lundi 4 janvier 2027 au dimanche 10 janvier 2027."
    )
    check_page(page, "schedules, check before creating")
    page.locator("[data-schedule-check]").get_by_role("button", name="Créer les plages").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("8 plages créées.")
    schedule = page.locator(".rvs-schedule").last
    expect(schedule).to_contain_text("8 h à 9 h, plages de 30 minutes, 3 places par plage")
    expect(schedule).to_contain_text("Du lundi 4 janvier 2027 au dimanche 10 janvier 2027")
    check_page(page, "schedules, created")
    screenshot(page, "console-schedules")
