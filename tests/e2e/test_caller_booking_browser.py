"""Booking for a caller in the console (issue 21, item 4) and the clinic's rules on the citizen's pages (item 5),
in a browser at a desktop and a phone size, with axe on every page reached:

- a clerk books for someone on the phone without an account: the times, the caller's details (a form sent
  empty first comes back with each field said), then what to tell the caller with the clinic's instructions;
  the row is grey in Suivi; the caller's confirmation e-mail carries the instructions; the clerk moves it, then
  cancels it, from Suivi;
- a time taken while the clerk typed is said, with the times again;
- a manager saves a service's rules (a clerk is told the page is the managers');
- inside the cut-off, the portal's confirmation, the manage link's page and the account's list say to call the
  clinic (tel: link) instead of offering to cancel or move; a page opened before the cut-off whose button is
  pressed after it shows the API's refusal as that message.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, active_account
from tests.e2e.clinic_staff import MONTREAL, add_staff, log_in, slot_soon, suivi_row
from tests.e2e.conftest import Catalogue, booking
from tests.e2e.page_checks import check_page, screenshot, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser

INSTRUCTIONS_FR = "Apportez votre carte d'assurance maladie.\nSoyez à jeun depuis minuit."
INSTRUCTIONS_EN = "Bring your health insurance card.\nDo not eat after midnight."


async def _set_rules(url: str, service_id: uuid.UUID, cutoff_hours: int) -> None:
    """The service's rules and the clinic's phone, as a manager and an operator would have set them."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(
            "UPDATE services SET cancel_cutoff_hours = $2, instructions_fr = $3, instructions_en = $4 WHERE id = $1",
            service_id,
            cutoff_hours,
            INSTRUCTIONS_FR,
            INSTRUCTIONS_EN,
        )
        await conn.execute(
            "UPDATE establishments SET phone = '514 555-0100' "
            "WHERE id = (SELECT establishment_id FROM services WHERE id = $1)",
            service_id,
        )
    finally:
        await conn.close()


async def _slot_at(url: str, service_id: uuid.UUID, starts: datetime, capacity: int = 3) -> uuid.UUID:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        slot = uuid.uuid4()
        await conn.execute(
            "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) "
            "VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '10 minutes', $4)",
            slot,
            service_id,
            starts.astimezone(UTC),
            capacity,
        )
        return slot
    finally:
        await conn.close()


def _time_label(starts: datetime) -> str:
    local = starts.astimezone(MONTREAL)
    return f"{local.hour}\u00a0h" if local.minute == 0 else f"{local.hour}\u00a0h\u00a0{local.minute:02d}"


def test_a_clerk_books_for_a_caller_then_moves_and_cancels_it(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    urls = system.config.database_urls
    run_sync(_set_rules(urls["appointments"], catalogue.service_id, 24))
    clerk = f"accueil.{viewport}@rosemont.example"
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, clerk, "clerk"))
    first = run_sync(slot_soon(urls["appointments"], catalogue.service_id))
    first_starts = datetime.now(MONTREAL) + timedelta(minutes=30)
    # Another time the same day, for the move: an hour after the first (or before, late in the evening).
    later = first_starts + timedelta(hours=1)
    other_starts = later if later.date() == first.day else first_starts - timedelta(minutes=20)
    other = run_sync(_slot_at(urls["appointments"], catalogue.service_id, other_starts))
    gateway = system.config.url("gateway")
    caller_email = f"jeanne.appelante+{uuid.uuid4().hex[:8]}@example.org"

    # From Suivi, the clerk opens the booking page: today's (or the next day's) free times come first.
    log_in(page, gateway, clerk)
    page.get_by_role("button", name="Prendre un rendez-vous pour un appelant").click()
    expect(page.get_by_role("heading", name="Prendre un rendez-vous pour un appelant")).to_be_visible()
    expect(page.locator(f"input[name=slot_id][value='{first.id}']")).to_have_count(1)
    check_page(page, "booking for a caller")
    screenshot(page, "console-book")

    # Sent empty: each field said, nothing booked.
    page.get_by_role("button", name="Réserver pour l'appelant").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choisissez une heure.")
    expect(summary).to_contain_text("Entrez le prénom.")
    expect(summary).to_contain_text("Indiquez la date de naissance.")
    expect(summary).to_contain_text("Indiquez au moins un courriel ou un numéro de cellulaire.")
    check_page(page, "booking for a caller, refused")
    screenshot(page, "console-book-refused")

    page.locator(f"input[name=slot_id][value='{first.id}']").check()
    page.get_by_label("Prénom").fill("Jeanne")
    page.get_by_label("Nom", exact=True).fill("Appelante")
    page.locator("#birth_date-day").fill("3")
    page.locator("#birth_date-month").fill("2")
    page.locator("#birth_date-year").fill("1940")
    page.get_by_label("Courriel").fill(caller_email)
    page.get_by_role("button", name="Réserver pour l'appelant").click()

    # What to tell the caller: when, where, and the clinic's instructions.
    expect(page.locator(".govuk-panel")).to_contain_text("Rendez-vous réservé")
    expect(page.locator(".govuk-panel")).to_contain_text("Pour Jeanne Appelante")
    tell = page.locator(".rvs-tell")
    expect(tell).to_contain_text(_time_label(first_starts))
    expect(tell).to_contain_text("5689, boulevard Rosemont")
    expect(page.locator("[data-instructions]")).to_contain_text("Soyez à jeun depuis minuit.")
    # Within the day's cut-off already: the clerk is told the caller will have to call to change it.
    expect(page.locator("[data-cutoff]")).to_contain_text("dans moins de 24 h")
    check_page(page, "booked for a caller")
    screenshot(page, "console-caller-booked")

    # The caller's confirmation e-mail, with the instructions.
    [mail] = mail_sink.wait_for_recipient(caller_email, timeout=15)
    assert "À apporter ou à faire avant la visite" in mail.body
    assert "Soyez à jeun depuis minuit." in mail.body

    # Suivi: the row is grey (no account) and offers to move or cancel it for the caller.
    page.get_by_role("link", name=re.compile("^Voir le Suivi du ")).click()
    row = suivi_row(page, "Appelante, Jeanne")
    expect(row.locator("[data-icon=profile]")).to_have_attribute("data-state", "grey")
    check_page(page, "Suivi with a caller's booking")
    screenshot(page, "console-suivi-caller")
    row.get_by_role("link", name="Déplacer le rendez-vous de Jeanne Appelante").click()
    expect(page.get_by_role("heading", name="Déplacer le rendez-vous de Jeanne Appelante")).to_be_visible()
    expect(page.locator(f"input[name=slot_id][value='{first.id}']")).to_have_count(0)  # its own time is no move
    check_page(page, "moving a caller's booking")
    screenshot(page, "console-caller-move")
    page.locator(f"input[name=slot_id][value='{other}']").check()
    page.get_by_role("button", name="Déplacer à cette heure").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Rendez-vous déplacé\u00a0: Jeanne Appelante.")
    expect(suivi_row(page, "Appelante, Jeanne")).to_contain_text(_time_label(other_starts))

    suivi_row(page, "Appelante, Jeanne").get_by_role("link", name="Annuler le rendez-vous de Jeanne Appelante").click()
    expect(page.get_by_role("heading", name="Annuler le rendez-vous de Jeanne Appelante\u202f?")).to_be_visible()
    check_page(page, "cancelling a caller's booking")
    screenshot(page, "console-caller-cancel")
    page.get_by_role("button", name="Oui, annuler le rendez-vous").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Rendez-vous annulé\u00a0: Jeanne Appelante.")
    cancelled = suivi_row(page, "Appelante, Jeanne")
    expect(cancelled).to_contain_text("Annulé")
    expect(cancelled.get_by_role("link", name=re.compile("^Annuler"))).to_have_count(0)
    check_page(page, "Suivi after a caller's booking was cancelled")


def test_a_time_taken_while_the_clerk_types_is_said_with_the_times_again(
    system: Supervisor, catalogue: Catalogue, page: Page
):
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "file@rosemont.example", "clerk"))
    starts = datetime.now(MONTREAL) + timedelta(minutes=40)
    last_seat = run_sync(_slot_at(urls["appointments"], catalogue.service_id, starts, capacity=1))
    run_sync(slot_soon(urls["appointments"], catalogue.service_id))
    gateway = system.config.url("gateway")

    log_in(page, gateway, "file@rosemont.example", "/admin/book")
    page.locator(f"input[name=slot_id][value='{last_seat}']").check()
    page.get_by_label("Prénom").fill("Paul")
    page.get_by_label("Nom", exact=True).fill("Attente")
    page.locator("#birth_date-day").fill("9")
    page.locator("#birth_date-month").fill("9")
    page.locator("#birth_date-year").fill("1950")
    page.get_by_label("Cellulaire").fill("514 555-0142")
    # Someone else takes the last seat meanwhile.
    taken = httpx.post(f"{gateway}/api/appointments", json=booking(last_seat))
    assert taken.status_code == 201, taken.text
    page.get_by_role("button", name="Réserver pour l'appelant").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Cette heure vient d'être prise.")
    expect(page.locator(f"input[name=slot_id][value='{last_seat}']")).to_have_count(0)
    expect(page.get_by_label("Prénom")).to_have_value("Paul")  # the rest of the form as it was
    check_page(page, "booking for a caller, the time taken meanwhile")


def test_a_manager_saves_a_service_rules_and_a_clerk_is_told_they_are_the_managers(
    system: Supervisor, catalogue: Catalogue, sized_page: Page, viewport: str
):
    page = sized_page
    urls = system.config.database_urls
    manager = f"gestion.{viewport}@rosemont.example"
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, manager, "manager"))
    gateway = system.config.url("gateway")
    log_in(page, gateway, manager)
    page.goto(gateway + "/admin/rules")
    section = page.locator(f"[data-service='{catalogue.service_id}']")
    section.get_by_label(re.compile("Annulation ou déplacement en ligne")).fill("deux jours")
    section.get_by_label("Consignes en français").fill(INSTRUCTIONS_FR)
    section.get_by_role("button", name=re.compile("Enregistrer les règles")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Indiquez un nombre entier d'heures")
    expect(section.get_by_label("Consignes en français")).to_have_value(INSTRUCTIONS_FR)  # kept to correct
    check_page(page, "clinic rules, refused")
    section.get_by_label(re.compile("Annulation ou déplacement en ligne")).fill("48")
    section.get_by_label("Consignes en anglais").fill(INSTRUCTIONS_EN)
    section.get_by_role("button", name=re.compile("Enregistrer les règles")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Règles enregistrées\u00a0: Prise de sang.")
    expect(section.get_by_label(re.compile("Annulation ou déplacement en ligne"))).to_have_value("48")
    check_page(page, "clinic rules")
    screenshot(page, "console-rules")

    clerk = f"commis.regles.{viewport}@rosemont.example"
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, clerk, "clerk"))
    page.context.clear_cookies()
    log_in(page, gateway, clerk, "/admin/rules")
    expect(page.get_by_role("heading", name="Réservé aux gestionnaires")).to_be_visible()
    expect(page.locator("[data-refusal]")).to_contain_text("changer les règles de la clinique")
    expect(page.get_by_role("link", name="Règles de la clinique")).to_have_count(0)


def test_inside_the_cut_off_the_citizen_is_told_to_call_the_clinic(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    urls = system.config.database_urls
    gateway = system.config.url("gateway")
    soon = run_sync(slot_soon(urls["appointments"], catalogue.service_id))
    # Booked before the clinic set its cut-off (another slot: appointments keeps a slot's details 2 s): its manage
    # page, opened then, still has its button.
    before = run_sync(_slot_at(urls["appointments"], catalogue.service_id, datetime.now(MONTREAL) + timedelta(hours=2)))
    early = httpx.post(f"{gateway}/api/appointments", json=booking(before, first_name="Avant"))
    assert early.status_code == 201, early.text
    early_page = f"/appointments/{early.json()['id']}/cancel?token={early.json()['manage_token']}"
    page.goto(gateway + early_page)
    expect(page.get_by_role("button", name="Oui, annuler le rendez-vous")).to_be_visible()

    run_sync(_set_rules(urls["appointments"], catalogue.service_id, 24))
    # Pressed now, past the cut-off: the API refuses; the page says why and whom to call.
    page.get_by_role("button", name="Oui, annuler le rendez-vous").click()
    warning = page.locator("[data-too-late]")
    expect(warning).to_contain_text("Ce rendez-vous ne peut plus être annulé ni déplacé en ligne.")
    expect(warning.get_by_role("link", name="(514)\u00a0555-0100")).to_have_attribute("href", "tel:+15145550100")
    check_page(page, "manage link, refused past the cut-off")

    # The portal's booking: the confirmation gives the instructions and, inside the cut-off, no cancel link.
    page.goto(f"{gateway}/book/{catalogue.service_id}")
    page.locator(f"input[name=slot_id][value='{soon.id}']").check()
    page.get_by_label("Prénom").fill("Rita")
    page.get_by_label("Nom", exact=True).fill("Tardive")
    email = f"rita.{viewport}.{uuid.uuid4().hex[:6]}@example.org"
    page.get_by_label("Courriel").fill(email)
    page.locator("form#booking").get_by_role("button", name="Réserver").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Rendez-vous confirmé")
    expect(page.locator("[data-instructions]")).to_contain_text("Soyez à jeun depuis minuit.")
    expect(page.locator("[data-too-late]")).to_contain_text("Appelez la clinique au")
    expect(page.get_by_role("link", name="Annuler ce rendez-vous")).to_have_count(0)
    check_page(page, "portal confirmation inside the cut-off")
    screenshot(page, "portal-confirmation-too-late")

    # The e-mail's manage link: the appointment, its instructions, and whom to call instead of a button.
    [mail] = mail_sink.wait_for_recipient(email, timeout=15)
    link = re.search(r"http://\S+/appointments/\S+/cancel\?token=\S+", mail.body)
    assert link is not None
    page.goto(link.group(0))
    expect(page.locator("[data-instructions]")).to_contain_text("Apportez votre carte d'assurance maladie.")
    expect(page.get_by_role("heading", name="Trop tard pour changer en ligne")).to_be_visible()
    expect(page.locator("[data-too-late]")).to_be_visible()
    expect(page.get_by_role("button", name="Oui, annuler le rendez-vous")).to_have_count(0)
    check_page(page, "manage link inside the cut-off")
    screenshot(page, "portal-manage-too-late")

    # The API refuses it too, whatever a page shows.
    booked_id, token = re.search(r"/appointments/(\S+)/cancel\?token=(\S+)", link.group(0)).groups()
    refused = httpx.post(f"{gateway}/api/appointments/{booked_id}/cancel", json={"token": token})
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "too_late_to_change"

    # The account's list: the instructions in the page's language, and no cancel or move inside the cut-off.
    citizen = f"citoyen.{viewport}.{uuid.uuid4().hex[:6]}@example.org"
    with httpx.Client(base_url=gateway, timeout=10) as client:
        auth = active_account(client, mail_sink, citizen)
        mine = client.post("/api/my/appointments", json={"slot_id": str(soon.id)}, headers=auth)
        assert mine.status_code == 201, mine.text
    page.goto(gateway + "/account/login?lang=en")
    page.get_by_label("Email or mobile phone").fill(citizen)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/account(/?$|\?)"))
    page.goto(gateway + "/account/appointments")
    card = page.locator(f"li.appointment[data-id='{mine.json()['id']}']")
    expect(card.locator("[data-instructions]")).to_contain_text("Before your visit")
    expect(card.locator("[data-instructions]")).to_contain_text("Do not eat after midnight.")
    expect(card.locator("[data-too-late]")).to_contain_text("Call the clinic at")
    expect(card.get_by_role("link", name=re.compile("^(Reschedule|Cancel)"))).to_have_count(0)
    check_page(page, "account's appointments inside the cut-off")
    screenshot(page, "account-appointments-too-late")
