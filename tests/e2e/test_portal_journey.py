"""Booking without an account, as a visitor does it, at a desktop and at a phone size: search, results, the
booking page (day by day), a refused submit, a double-clicked "Réserver", the confirmation, then cancelling by
the e-mailed link (the appointment shown, "are you sure", done) and that link once more. Every page and state
passes check_page (axe-core WCAG 2.x A/AA, no sideways scroll)."""

import re
from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from playwright.sync_api import Browser, Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.conftest import Catalogue, add_slot, db_counts
from tests.e2e.page_checks import check_page, screenshot, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def test_book_without_an_account_then_cancel_by_the_emailed_link(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, sized_page: Page
):
    page = sized_page
    later = add_slot(system, catalogue, days=5, hour_utc=15, capacity=1)  # 10:00 two days after the open slot
    assert later
    gateway = system.config.url("gateway")

    page.goto(gateway + "/")
    check_page(page, "search")
    page.get_by_label("Code postal").fill("H1T 2H1")
    page.get_by_label("Service recherché").fill("prise de sang")
    page.get_by_role("button", name="Rechercher").click()
    result = page.locator("li.rvs-result").first
    expect(result).to_contain_text("Clinique Test Rosemont")
    expect(result).to_contain_text(re.compile(r"à \d+,\d\u00a0km"))  # a decimal comma in French
    expect(result).to_contain_text("2 plages horaires libres")
    expect(page.get_by_role("status")).to_have_text("1 établissement offre des disponibilités.")
    assert not ISO_DATE.search(page.locator("main").inner_text())
    check_page(page, "search results")
    screenshot(page, "portal-search-results")

    page.get_by_role("button", name=re.compile("^Choisir une heure")).first.click()
    expect(page.get_by_role("heading", name="Prise de sang", level=1)).to_be_visible()
    first_day = page.get_by_role("group", name=re.compile(r"^Choisissez une heure le \S+ \d+ \S+ \d{4}$"))
    expect(first_day).to_be_visible()
    expect(first_day.get_by_label("10\u00a0h\u00a030")).to_be_visible()
    expect(first_day).to_contain_text("Places disponibles")
    day_shown = first_day.locator("legend").inner_text()
    check_page(page, "booking page")
    screenshot(page, "portal-booking")

    # The next day with a free time, then back.
    page.get_by_role("link", name=re.compile("^Prochain jour disponible")).click()
    next_day = page.get_by_role("group", name=re.compile("^Choisissez une heure le "))
    expect(next_day.get_by_label("10\u00a0h", exact=True)).to_be_visible()
    expect(next_day).to_contain_text("1 place restante")
    expect(page.get_by_role("link", name=re.compile("^Prochain jour disponible"))).to_have_count(0)
    check_page(page, "booking page, a later day")
    page.get_by_role("link", name=re.compile("^Jour disponible précédent")).click()
    expect(page.locator("legend").first).to_have_text(day_shown)

    # A refused submit: the summary names what is wrong, links to it, and the form keeps what was typed.
    page.get_by_label("10\u00a0h\u00a030").check()
    page.get_by_label("Prénom").fill("Léa")
    page.get_by_label("Nom", exact=True).fill("Gagnon")
    page.get_by_role("button", name="Réserver").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Il y a un problème")
    expect(page.get_by_label("Prénom")).to_have_value("Léa")
    expect(page).to_have_title(re.compile("^Erreur"))
    check_page(page, "booking refused")

    page.get_by_label("Courriel").fill("lea.gagnon@example.org")
    page.get_by_label("Jour", exact=True).fill("27")
    page.get_by_label("Mois").fill("3")
    page.get_by_label("Année").fill("1985")
    book = page.get_by_role("button", name="Réserver")
    expect(book).to_have_attribute("data-prevent-double-click", "true")  # GOV.UK's guard; htmx holds it too
    expect(page.locator("form#booking")).to_have_attribute("hx-disabled-elt", "find button[type=submit]")
    book.dblclick()

    panel = page.locator(".govuk-panel")
    expect(panel).to_contain_text("Rendez-vous confirmé")
    expect(panel).to_contain_text(day_shown.removeprefix("Choisissez une heure le ") + " à 10 h 30")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.locator("form#booking")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Nous avons envoyé la confirmation à lea.gagnon@example.org")
    expect(page).to_have_title(re.compile("^Rendez-vous confirmé"))
    assert run_sync(db_counts(system))["appointments"] == 1
    calendar = page.get_by_role("link", name="Ajouter à mon agenda (.ics)").get_attribute("href")
    ics = page.request.get(gateway + calendar)
    assert ics.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(ics.body()).walk("VEVENT")
    assert event.decoded("dtstart") == catalogue.open_slot_starts_at
    assert abs((datetime.now(UTC) - event.decoded("dtstamp")).total_seconds()) < 120  # RFC 5545 requires it
    check_page(page, "confirmation")
    screenshot(page, "portal-confirmation")

    [mail] = mail_sink.wait_for_recipient("lea.gagnon@example.org")
    link = re.search(r"http://\S+/appointments/\S+/cancel\?token=\S+", mail.body)
    assert link is not None
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Annuler ce rendez-vous\u202f?")).to_be_visible()
    appointment = page.locator(".rvs-appointment")
    expect(appointment).to_contain_text("Prise de sang")
    expect(appointment).to_contain_text("Clinique Test Rosemont")
    expect(appointment).to_contain_text("10\u00a0h\u00a030")
    expect(page.locator("main")).to_contain_text("La place sera libérée")
    check_page(page, "cancel by link")
    screenshot(page, "portal-cancel")

    page.get_by_role("button", name="Oui, annuler le rendez-vous").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Rendez-vous annulé")
    assert run_sync(db_counts(system))["booked_seats"] == 1  # the pre-filled full slot's only
    check_page(page, "cancelled")

    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Ce lien ne fonctionne plus")).to_be_visible()
    expect(page.locator("main").get_by_role("button")).to_have_count(0)
    check_page(page, "used cancel link")


def test_without_javascript_booking_answers_full_pages_and_a_second_submit_replays(
    system: Supervisor, catalogue: Catalogue, browser: Browser
):
    context = browser.new_context(locale="fr-CA", java_script_enabled=False)
    page = context.new_page()
    gateway = system.config.url("gateway")
    try:
        page.goto(gateway + f"/book/{catalogue.service_id}")
        page.get_by_label("Prénom").fill("Léa")
        page.get_by_role("button", name="Réserver").click()
        expect(page).to_have_title(re.compile("^Erreur.* – Rendez-vous santé$"))
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator(".govuk-error-summary")).to_contain_text("Choisissez une heure.")

        page.get_by_label("10\u00a0h\u00a030").check()
        page.get_by_label("Nom", exact=True).fill("Gagnon")
        page.get_by_label("Cellulaire").fill("438 555 0199")
        form = page.locator("form#booking")
        fields = {
            name: form.locator(f"input[name={name}]").first.input_value()
            for name in ("csrf_token", "service_id", "day", "idempotency_key", "first_name", "last_name", "phone")
        }
        fields |= {"slot_id": str(catalogue.open_slot), "language": "fr"}
        page.get_by_role("button", name="Réserver").click()
        expect(page).to_have_title("Rendez-vous confirmé – Rendez-vous santé")
        first = page.locator("#booked").get_attribute("data-appointment-id")

        # The same form sent again, as a second click does before the first answer arrives.
        again = page.request.post(f"{gateway}/book", form=fields, headers={"Origin": gateway})
        assert again.status == 200
        assert f'data-appointment-id="{first}"' in again.text()
        assert run_sync(db_counts(system))["appointments"] == 1

        # Changed after it booked (back, another name): not the same booking, so a new form to book anew.
        changed = page.request.post(
            f"{gateway}/book", form=fields | {"first_name": "Autre"}, headers={"Origin": gateway}
        )
        assert changed.status == 422
        assert "Ce formulaire a déjà servi pour un rendez-vous" in changed.text()
        assert f'value="{fields["idempotency_key"]}"' not in changed.text()
        assert run_sync(db_counts(system))["appointments"] == 1
    finally:
        context.close()


def test_a_confirm_link_asks_then_says_it_is_done_and_then_that_it_was(
    system: Supervisor, catalogue: Catalogue, sized_page: Page
):
    import httpx

    from tests.e2e.conftest import booking

    gateway = system.config.url("gateway")
    booked = httpx.post(f"{gateway}/api/appointments", json=booking(catalogue.open_slot)).json()
    link = f"{gateway}/appointments/{booked['id']}/confirm?token={booked['manage_token']}"
    page = sized_page
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirmer votre présence\u202f?")).to_be_visible()
    expect(page.locator(".rvs-appointment")).to_contain_text("Marie Tremblay")
    check_page(page, "confirm by link")
    page.get_by_role("button", name="Oui, je serai là").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Présence confirmée")
    check_page(page, "confirmed")
    page.goto(link)
    expect(page.locator("main")).to_contain_text("Votre présence est déjà confirmée.")
    expect(page.locator("main").get_by_role("button")).to_have_count(0)
    check_page(page, "confirm link used")


def test_a_refused_search_shows_the_error_summary(system: Supervisor, sized_page: Page):
    page = sized_page
    page.goto(system.config.url("gateway") + "/")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Entrez votre code postal")
    check_page(page, "search without a postal code")
    page.get_by_label("Code postal").fill("ZZZ")
    page.get_by_role("button", name="Rechercher").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("postal")
    expect(page.locator("#postal_code-error")).to_be_visible()
    expect(page.get_by_label("Code postal")).to_have_value("ZZZ")
    check_page(page, "search refused")


def test_the_booking_page_in_english(system: Supervisor, catalogue: Catalogue, sized_page: Page):
    page = sized_page
    page.goto(system.config.url("gateway") + f"/book/{catalogue.service_id}?lang=en")
    times = page.get_by_role("group", name=re.compile(r"^Choose a time on \w+day, \w+ \d+, \d{4}$"))
    expect(times.get_by_label("10:30")).to_be_visible()
    expect(times).to_contain_text("Spots available")
    check_page(page, "booking page in English")
