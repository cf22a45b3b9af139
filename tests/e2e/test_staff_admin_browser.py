"""Running a clinic from the console, in a browser: a manager invites a clerk, who sets a password, enrols the
second factor (the secret read off the page, the code computed as the phone's app would), keeps the recovery
codes and signs in again with a code and with a recovery code; a person working at two establishments chooses
one and switches; a manager disables a clerk, whose next page is the sign-in; an operator creates an
establishment and appoints its first manager, whose invitation arrives by e-mail. Every page passes axe-core and
fits a phone."""

import re
import time
import uuid

import asyncpg
import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.clinic_staff import add_staff, enter_code, log_in, slot_soon, suivi_row
from tests.e2e.conftest import Catalogue, _insert_catalogue
from tests.e2e.page_checks import check_page, screenshot, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser

NEW_PASSWORD = "le traversier de Lévis part à l'heure"
LINK = re.compile(r"/admin/invitation\?token=[^\s\"'<>]+")


def invitation_link(mail_sink: MailSink, email: str) -> str:
    [mail] = mail_sink.wait_for_recipient(email, timeout=15)
    found = LINK.search(mail.body)
    assert found, mail.body
    return found.group(0)


def _sign_in_with_password(page: Page, email: str, password: str) -> None:
    expect(page.get_by_role("heading", name="Connexion du personnel")).to_be_visible()
    page.get_by_label("Courriel professionnel").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def _sign_out(page: Page) -> None:
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():  # a phone: the console's menu is folded
        menu.click()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion du personnel")).to_be_visible()


def test_an_invited_clerk_sets_a_password_enrols_the_second_factor_and_signs_in_with_it(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    gateway = system.config.url("gateway")
    manager = f"gestion.{viewport}@rosemont.example"
    clerk = f"commis.{uuid.uuid4().hex[:6]}@rosemont.example"
    run_sync(add_staff(system.config.database_urls["accounts"], catalogue.establishment_id, manager, "manager"))

    # The manager invites the clerk.
    log_in(page, gateway, manager, "/admin/staff")
    expect(page.get_by_role("heading", name="Personnel", exact=True)).to_be_visible()
    check_page(page, "staff page")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Entrez l'adresse courriel de la personne.")
    check_page(page, "staff page, invitation refused")
    page.get_by_label("Courriel professionnel de la personne").fill(clerk)
    page.get_by_label("Commis", exact=True).check()
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Invitation envoyée.")
    expect(page.locator(f"tr[data-invitation='{clerk}']")).to_be_visible()
    screenshot(page, "console-staff")
    _sign_out(page)

    # The clerk opens the e-mail's link, chooses a name and a password.
    link = invitation_link(mail_sink, clerk)
    page.goto(gateway + link)
    expect(page.get_by_role("heading", name="Rejoindre l'équipe")).to_be_visible()
    expect(page.locator("[data-invitation]")).to_contain_text("commis à Clinique Test Rosemont")
    check_page(page, "invitation")
    page.get_by_label("Nom complet").fill("Camille Commis")
    page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD + " bis")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Les deux mots de passe ne sont pas identiques.")
    check_page(page, "invitation refused")
    screenshot(page, "console-invitation-refused")
    page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", name="Votre accès est prêt")).to_be_visible()
    check_page(page, "invitation accepted")
    page.get_by_role("button", name="Aller à la connexion").click()

    # First sign-in: the enrolment, from the secret the page shows.
    _sign_in_with_password(page, clerk, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Protégez votre compte avec un deuxième facteur")).to_be_visible()
    expect(page).to_have_url(gateway + "/admin/login/enrol")  # no challenge nor secret in the address
    expect(page.get_by_role("img", name="Code QR à balayer avec l'application d'authentification")).to_be_visible()
    check_page(page, "second factor enrolment")
    screenshot(page, "console-enrol")
    page.get_by_text("Je ne peux pas balayer le code").click()
    shown = page.locator("[data-totp-secret]").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", shown), shown
    secret = shown.replace(" ", "")
    page.get_by_label("Code à 6 chiffres").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Activer et continuer").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Code incorrect")
    check_page(page, "second factor enrolment refused")
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activer et continuer").click()
    expect(page.get_by_role("heading", name="Vos codes de récupération")).to_be_visible()
    codes = page.locator("[data-recovery-codes] li").all_inner_texts()
    assert len(codes) == 10, codes
    check_page(page, "recovery codes")
    screenshot(page, "console-recovery-codes")
    page.get_by_role("button", name="Je les ai notés, continuer").click()
    expect(page.get_by_role("heading", name="Suivi")).to_be_visible()
    expect(page.locator("[data-staff-card]")).to_contain_text("Camille Commis, Clinique Test Rosemont")
    _sign_out(page)

    # Next sign-in: the code of the app.
    _sign_in_with_password(page, clerk, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Entrez le code de votre application")).to_be_visible()
    code_field = page.get_by_label("Code à 6 chiffres")
    expect(code_field).to_have_attribute("autocomplete", "one-time-code")
    expect(code_field).to_have_attribute("inputmode", "numeric")
    check_page(page, "second factor")
    screenshot(page, "console-code")
    enter_code(page, secret)
    expect(page.get_by_role("heading", name="Suivi")).to_be_visible()
    _sign_out(page)

    # Without the phone: a recovery code, once.
    _sign_in_with_password(page, clerk, NEW_PASSWORD)
    page.get_by_text("Je n'ai pas mon téléphone").click()
    page.get_by_label("Code de récupération").fill(codes[0].strip())
    page.get_by_role("button", name="Utiliser ce code").click()
    expect(page.get_by_role("heading", name="Suivi")).to_be_visible()
    _sign_out(page)
    _sign_in_with_password(page, clerk, NEW_PASSWORD)
    page.get_by_text("Je n'ai pas mon téléphone").click()
    page.get_by_label("Code de récupération").fill(codes[0].strip())
    page.get_by_role("button", name="Utiliser ce code").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()  # spent
    expect(page.get_by_label("Code de récupération")).to_be_visible()  # the box stays open with its message
    check_page(page, "recovery code refused")

    # None of the secrets of this journey reached a log line.
    token = link.split("token=", 1)[1]
    for name in ("gateway", "accounts", "notifications"):
        log = system.log_text(name)
        assert log, f"{name} wrote no log at all"
        for secret_text in (token, secret, NEW_PASSWORD, *codes):
            assert secret_text not in log, name


async def _rename(url: str, establishment_id: uuid.UUID, name: str) -> None:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute("UPDATE establishments SET name = $2 WHERE id = $1", establishment_id, name)
    finally:
        await conn.close()


def test_someone_working_at_two_establishments_chooses_one_and_switches(
    system: Supervisor, catalogue: Catalogue, sized_page: Page
):
    page = sized_page
    urls = system.config.database_urls
    other = run_sync(_insert_catalogue(urls["appointments"]))
    run_sync(_rename(urls["appointments"], other.establishment_id, "CLSC Test de Verdun"))
    email = "deux.cliniques@sante.example"
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, email, "clerk"))
    run_sync(add_staff(urls["accounts"], other.establishment_id, email, "manager"))
    gateway = system.config.url("gateway")

    log_in(page, gateway, email, "/admin/schedules")
    expect(page.get_by_role("heading", name="Choisissez l'établissement")).to_be_visible()
    expect(page.get_by_label("Clinique Test Rosemont")).to_be_visible()
    check_page(page, "establishment chooser")
    screenshot(page, "console-chooser")
    page.get_by_role("button", name="Continuer").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choisissez un établissement.")
    check_page(page, "establishment chooser refused")
    page.get_by_label("CLSC Test de Verdun").check()
    page.get_by_role("button", name="Continuer").click()
    # Back to the page asked for, as the manager it takes at Verdun.
    expect(page).to_have_url(gateway + "/admin/schedules")
    expect(page.get_by_role("heading", name="Horaires", exact=True)).to_be_visible()
    expect(page.locator("[data-staff-card]")).to_contain_text("CLSC Test de Verdun")

    page.get_by_role("link", name="Changer d'établissement").click()
    expect(page.get_by_label("CLSC Test de Verdun")).to_be_checked()
    page.get_by_label("Clinique Test Rosemont").check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Suivi")).to_be_visible()
    expect(page.locator("[data-staff-card]")).to_contain_text("Clinique Test Rosemont")
    expect(page.get_by_role("link", name="Horaires")).to_have_count(0)  # a clerk here


def test_a_disabled_clerk_is_sent_to_sign_in_at_the_next_page(
    system: Supervisor, catalogue: Catalogue, sized_page: Page, browser: Browser, viewport: str
):
    page = sized_page
    urls = system.config.database_urls
    manager, clerk = f"gestion.acces.{viewport}@rosemont.example", f"commis.acces.{viewport}@rosemont.example"
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, manager, "manager"))
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, clerk, "clerk"))
    gateway = system.config.url("gateway")
    desk = browser.new_context(locale="fr-CA").new_page()
    try:
        log_in(desk, gateway, clerk)
        expect(desk.get_by_role("heading", name="Suivi")).to_be_visible()

        log_in(page, gateway, manager, "/admin/staff")
        row = page.locator(f"tr[data-member='{clerk}']")
        expect(row).to_contain_text("Actif")
        check_page(page, "staff page with a clerk")
        screenshot(page, "console-staff-members")
        row.get_by_role("link", name="Désactiver").click()
        expect(page.get_by_role("heading", name="Désactiver l'accès de Test clerk")).to_be_visible()
        check_page(page, "disable confirmation")
        page.get_by_role("button", name="Oui, désactiver").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Accès désactivé : Test clerk.")
        expect(page.locator(f"tr[data-member='{clerk}']")).to_contain_text("Désactivé")

        # The clerk's sessions ended: the next page asks to sign in (the gateway hears of it by event).
        deadline = time.monotonic() + 10
        while True:
            desk.goto(gateway + "/admin")
            if desk.get_by_role("heading", name="Connexion du personnel").count():
                break
            assert time.monotonic() < deadline, desk.url
            time.sleep(0.2)
        _sign_in_with_password(desk, clerk, "console du CLSC de test")
        expect(desk.locator(".govuk-error-summary")).to_contain_text("désactivé")

        page.locator(f"tr[data-member='{clerk}']").get_by_role("link", name="Réactiver").click()
        page.get_by_role("button", name="Oui, réactiver").click()
        expect(page.locator(f"tr[data-member='{clerk}']")).to_contain_text("Actif")
    finally:
        desk.context.close()


def test_an_operator_creates_an_establishment_and_appoints_its_manager(
    system: Supervisor, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    operator = "operateur@plateforme.example"
    run_sync(add_staff(system.config.database_urls["accounts"], None, operator, "operator"))
    gateway = system.config.url("gateway")
    name = f"Clinique des Patriotes {viewport}"
    chief = f"chef.{uuid.uuid4().hex[:6]}@patriotes.example"

    log_in(page, gateway, operator)
    expect(page).to_have_url(gateway + "/admin/operator")  # an operator's home, not a clinic's Suivi
    expect(page.get_by_role("heading", name="Établissements")).to_be_visible()
    expect(page.locator("[data-staff-card]")).to_contain_text("opérateur de la plateforme")
    check_page(page, "operator establishments")
    page.get_by_role("button", name="Nouvel établissement").click()
    check_page(page, "new establishment")
    page.get_by_label("Nom de l'établissement").fill(name)
    page.get_by_label("Adresse", exact=True).fill("1705, rue de la Visitation")
    page.get_by_label("Ville", exact=True).fill("Montréal")
    page.get_by_label("Code postal", exact=True).fill("H2L 3C3")
    page.get_by_label("Région", exact=True).fill("Montréal")
    page.get_by_label("Téléphone", exact=True).fill("514 555-0142")
    for day in ("lundi", "mardi", "mercredi", "jeudi", "vendredi"):
        page.get_by_label(f"Ouverture le {day}").fill("8:00")
        page.get_by_label(f"Fermeture le {day}").fill("16 h")
    page.get_by_label("Fermeture le samedi").fill("12:00")  # no opening: refused with the form kept
    page.get_by_label("Nom du service en français").fill("Vaccination")
    page.get_by_label("Nom du service en anglais").fill("Vaccination")
    page.get_by_label("Durée d'un rendez-vous (minutes)").fill("dix")
    page.get_by_label("Instructions avant la visite, en français").fill("Apportez votre carnet de vaccination.")
    page.get_by_role("button", name="Créer l'établissement").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Indiquez l'ouverture et la fermeture")
    expect(summary).to_contain_text("Entrez un nombre entier")
    expect(page.get_by_label("Nom de l'établissement")).to_have_value(name)
    check_page(page, "new establishment refused")
    screenshot(page, "console-operator-new-refused")
    page.get_by_label("Fermeture le samedi").fill("")
    page.get_by_label("Durée d'un rendez-vous (minutes)").fill("10")
    page.get_by_role("button", name="Créer l'établissement").click()

    expect(page.get_by_role("heading", name=f"Nommer un gestionnaire de {name}")).to_be_visible()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Établissement créé : {name}.")
    check_page(page, "appoint a manager")
    page.get_by_label("Courriel professionnel de la personne").fill(chief)
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"premier gestionnaire de {name}")
    page.get_by_label("Chercher un établissement").fill("Patriotes " + viewport)
    page.get_by_role("button", name="Chercher").click()
    place = page.locator(f"[data-establishment='{name}']")
    expect(place).to_contain_text("Vaccination : 10 min")
    expect(place).to_contain_text("(514) 555-0142")
    check_page(page, "operator establishments searched")
    screenshot(page, "console-operator")

    # Both acts are in the operators' log, by name, with the establishment (they reach it by event).
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    page.get_by_role("link", name="Journal").click()
    deadline = time.monotonic() + 15
    while page.locator("tr[data-action='establishment_created'], tr[data-action='staff_invited']").count() < 2:
        assert time.monotonic() < deadline, page.content()
        time.sleep(0.3)
        page.reload()
    created = page.locator("tr[data-action='establishment_created']").filter(has_text=name)
    expect(created).to_contain_text("Test operator")
    check_page(page, "operators' log")
    screenshot(page, "console-operator-audit")

    # The invitation reaches the manager, and its link opens the page that sets their password.
    link = invitation_link(mail_sink, chief)
    page.context.clear_cookies()
    page.goto(gateway + link)
    expect(page.locator("[data-invitation]")).to_contain_text(f"gestionnaire à {name}")


def _accept_and_enrol(page: Page, gateway: str, link: str, name: str, email: str) -> str:
    """From the invitation's link to the first page signed in: name and password, the enrolment from the secret
    the page shows, the recovery codes. The TOTP secret, as the phone's app keeps it."""
    page.goto(gateway + link)
    page.get_by_label("Nom complet").fill(name)
    page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    page.get_by_role("button", name="Aller à la connexion").click()
    _sign_in_with_password(page, email, NEW_PASSWORD)
    page.get_by_text("Je ne peux pas balayer le code").click()
    secret = page.locator("[data-totp-secret]").inner_text().replace(" ", "")
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activer et continuer").click()
    expect(page.get_by_role("heading", name="Vos codes de récupération")).to_be_visible()
    page.get_by_role("button", name="Je les ai notés, continuer").click()
    return secret


async def _service_of(url: str, establishment: str) -> uuid.UUID:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return await conn.fetchval(
            "SELECT s.id FROM services s JOIN establishments e ON e.id = s.establishment_id WHERE e.name = $1",
            establishment,
        )
    finally:
        await conn.close()


def test_a_clinic_comes_onto_the_platform_from_the_console_alone(
    system: Supervisor, mail_sink: MailSink, page: Page, browser: Browser
):
    """The issue's journey, through the gateway and its pages only: an operator creates an establishment and
    appoints its manager; the manager invites a clerk; the clerk enrols the second factor and books for a caller
    without an account, who gets the confirmation e-mail, the row grey in Suivi; the manager reads each of these
    in the audit log, disables the clerk, whose next page is the sign-in."""
    urls = system.config.database_urls
    gateway = system.config.url("gateway")
    operator, manager, clerk = "ops@plateforme.example", "chef@laurier.example", "accueil@laurier.example"
    caller = f"gilles.appelant+{uuid.uuid4().hex[:6]}@example.org"
    run_sync(add_staff(urls["accounts"], None, operator, "operator"))

    log_in(page, gateway, operator)
    page.get_by_role("button", name="Nouvel établissement").click()
    page.get_by_label("Nom de l'établissement").fill("Clinique Laurier")
    page.get_by_label("Adresse", exact=True).fill("1000, avenue Laurier Est")
    page.get_by_label("Ville", exact=True).fill("Montréal")
    page.get_by_label("Code postal", exact=True).fill("H2L 3C3")
    page.get_by_label("Région", exact=True).fill("Montréal")
    page.get_by_label("Téléphone", exact=True).fill("514 555-0177")
    page.get_by_label("Ouverture le lundi").fill("8:00")
    page.get_by_label("Fermeture le lundi").fill("20:00")
    page.get_by_label("Nom du service en français").fill("Prise de sang")
    page.get_by_label("Nom du service en anglais").fill("Blood test")
    page.get_by_label("Instructions avant la visite, en français").fill("Soyez à jeun depuis minuit.")
    page.get_by_role("button", name="Créer l'établissement").click()
    page.get_by_label("Courriel professionnel de la personne").fill(manager)
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("premier gestionnaire de Clinique Laurier")
    _sign_out(page)

    # The manager joins, then invites the clerk.
    _accept_and_enrol(page, gateway, invitation_link(mail_sink, manager), "Claire Gestion", manager)
    expect(page.locator("[data-staff-card]")).to_contain_text("Claire Gestion, Clinique Laurier")
    page.get_by_role("link", name="Personnel").click()
    page.get_by_label("Courriel professionnel de la personne").fill(clerk)
    page.get_by_label("Commis", exact=True).check()
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator(f"tr[data-invitation='{clerk}']")).to_be_visible()

    # The clerk joins in a browser of their own and books for someone on the phone.
    service = run_sync(_service_of(urls["appointments"], "Clinique Laurier"))
    slot = run_sync(slot_soon(urls["appointments"], service))
    desk = browser.new_context(locale="fr-CA").new_page()
    try:
        _accept_and_enrol(desk, gateway, invitation_link(mail_sink, clerk), "Paul Accueil", clerk)
        expect(desk.get_by_role("heading", name="Suivi")).to_be_visible()
        desk.get_by_role("button", name="Prendre un rendez-vous pour un appelant").click()
        desk.locator(f"input[name=slot_id][value='{slot.id}']").check()
        desk.get_by_label("Prénom").fill("Gilles")
        desk.get_by_label("Nom", exact=True).fill("Appelant")
        desk.locator("#birth_date-day").fill("14")
        desk.locator("#birth_date-month").fill("7")
        desk.locator("#birth_date-year").fill("1938")
        desk.get_by_label("Courriel").fill(caller)
        desk.get_by_role("button", name="Réserver pour l'appelant").click()
        expect(desk.locator(".govuk-panel")).to_contain_text("Pour Gilles Appelant")
        [mail] = mail_sink.wait_for_recipient(caller, timeout=15)
        assert "Soyez à jeun depuis minuit." in mail.body
        desk.goto(f"{gateway}/admin?day={slot.day.isoformat()}")
        row = suivi_row(desk, "Appelant, Gilles")
        expect(row.locator("[data-icon=profile]")).to_have_attribute("data-state", "grey")

        # The manager's audit log has each step, by whom it was done.
        page.get_by_role("link", name="Journal d'audit").click()
        wanted = ("staff_invited", "invitation_accepted", "factor_enrolled", "caller_booked")
        deadline = time.monotonic() + 15
        while not all(page.locator(f"tr[data-action^='{action}']").count() for action in wanted):
            assert time.monotonic() < deadline, [
                a for a in wanted if not page.locator(f"tr[data-action^='{a}']").count()
            ]
            time.sleep(0.3)
            page.reload()
        expect(page.locator("tr[data-action^='caller_booked']").first).to_contain_text("Paul Accueil")

        # Disabled, the clerk's next page is the sign-in.
        page.get_by_role("link", name="Personnel").click()
        page.locator(f"tr[data-member='{clerk}']").get_by_role("link", name="Désactiver").click()
        page.get_by_role("button", name="Oui, désactiver").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Accès désactivé : Paul Accueil.")
        deadline = time.monotonic() + 10
        while True:
            desk.goto(gateway + "/admin")
            if desk.get_by_role("heading", name="Connexion du personnel").count():
                break
            assert time.monotonic() < deadline, desk.url
            time.sleep(0.2)
    finally:
        desk.context.close()
