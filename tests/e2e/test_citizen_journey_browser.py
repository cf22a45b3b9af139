"""A citizen's whole journey in a browser, at a desktop and at a phone size, every page and state checked (axe-core
WCAG 2.x A/AA, no sideways scroll): search, book without an account, register, sign in (the identifier already
typed after the activation code), change the personal information and add a family member (each on its own page,
back to a short dashboard whose banner is in view), book for them, confirm, reschedule and see it moved, cancel
with a confirmation, change the e-mail with a code, sign out, reset a forgotten password from the sign-in page (the
identifier typed again for the citizen), sign in with it, delete the account.

The portal's pages (search, booking) are another area's: they are reached by roles and labels, never by classes.
"""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from gateway.web.dates import time_label
from tests.e2e.accounts_flow import PASSWORD, code_from_mail, fill_date
from tests.e2e.conftest import Catalogue, add_slot
from tests.e2e.page_checks import check_page, screenshot, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser
MONTREAL = ZoneInfo("America/Montreal")
NEW_PASSWORD = "les outardes reviennent au printemps"


def _time_label(starts: datetime) -> str:
    """As the pages write a time: "10 h 30", "11 h"."""
    return time_label(starts.astimezone(MONTREAL), "fr")


def _at(days: int, hour_utc: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(hour=hour_utc, minute=0, second=0, microsecond=0)


def _search_and_choose(page: Page, gateway: str) -> None:
    page.goto(gateway + "/")
    check_page(page, "search")
    page.get_by_label("Code postal").fill("H1T2H1")
    page.get_by_label("Service recherché").fill("prise de sang")
    page.get_by_role("button", name="Rechercher").click()
    check_page(page, "search results")
    choose = re.compile("^Choisir une heure")
    page.get_by_role("button", name=choose).or_(page.get_by_role("link", name=choose)).first.click()
    check_page(page, "booking")


def _confirmed(page: Page, label: str) -> None:
    expect(page.get_by_role("heading", name="Rendez-vous confirmé")).to_be_visible()
    check_page(page, label)


def _sign_in(page: Page, identifier: str, password: str) -> None:
    page.get_by_label("Courriel ou cellulaire").fill(identifier)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()


def _menu(page: Page, name: str, role: str = "link") -> None:
    """Follows an item of the header's menu; on a phone, the menu opens first."""
    menu = page.get_by_role("navigation", name="Menu principal")
    toggle = menu.get_by_role("button", name="Menu")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    menu.get_by_role(role, name=name, exact=True).click()  # type: ignore[arg-type]


def _notice_in_view(page: Page, text: str) -> None:
    """The success banner says `text` and is on screen: the page did not land below it."""
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text(text)
    expect(notice).to_be_in_viewport()


def _code_says_only(page: Page, said: str, not_said: str) -> None:
    """The code page says where the code went in one way only (issue 19: both used to show)."""
    main = page.get_by_role("main")
    expect(main).to_contain_text(said)
    expect(main).not_to_contain_text(not_said)


def _upcoming(page: Page, who: str) -> Locator:
    return page.get_by_role("region", name="À venir").get_by_role("listitem").filter(has_text=who)


def test_the_whole_citizen_journey(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, sized_page: Page, viewport: str
):
    page = sized_page
    gateway = system.config.url("gateway")
    email, new_email = f"julie.{viewport}@example.org", f"julie.{viewport}@example.net"
    # Beside the catalogue's 10:30 three days from now: 11:00 that day, and 14:00 the day after (Montréal).
    add_slot(system, catalogue, days=3, hour_utc=16, capacity=5)
    add_slot(system, catalogue, days=4, hour_utc=19, capacity=5)
    later = _time_label(_at(4, 19))

    # --- search, then book without an account (an empty form first: its refusals are a state too) ---
    _search_and_choose(page, gateway)
    page.get_by_role("button", name="Réserver").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check_page(page, "booking refused")
    page.get_by_role("radio").first.check()
    page.get_by_label("Prénom").fill("Lucie")
    page.get_by_label("Nom", exact=True).fill("Sanscompte")
    page.get_by_label("Courriel").fill(f"lucie.{viewport}@example.org")
    fill_date(page, "1990-02-03")
    page.get_by_role("button", name="Réserver").click()
    _confirmed(page, "booked without an account")

    # --- register: a refusal shown in the form, then the code ---
    _menu(page, "Créer un compte")
    check_page(page, "register")
    page.get_by_label("Prénom").fill("Julie")
    page.get_by_label("Nom", exact=True).fill("Roy")
    fill_date(page, "1985-03-14")
    page.get_by_label("Femme").check()
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill("trop court")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("alert")).to_contain_text("Il y a un problème")
    check_page(page, "register refused")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    code = page.get_by_label("Code")
    expect(code).to_have_attribute("inputmode", "numeric")
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    expect(code).to_have_attribute("pattern", "[0-9]*")
    # Before signing in, the same words whether or not an account already uses the address (no enumeration).
    _code_says_only(page, "n'est pas déjà lié à un compte", "Nous avons envoyé un code")
    check_page(page, "activation code")
    real = code_from_mail(mail_sink, email)
    code.fill(f"{(int(real) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("alert")).to_contain_text("Il y a un problème")
    check_page(page, "activation code refused")
    page.get_by_label("Code").fill(real)
    page.get_by_role("button", name="Confirmer").click()

    # --- sign in, the identifier already typed: a wrong password first ---
    expect(page.get_by_role("alert")).to_contain_text("Votre compte est activé. Entrez votre mot de passe")
    expect(page.get_by_label("Courriel ou cellulaire")).to_have_value(email)
    check_page(page, "sign-in after activation")
    _sign_in(page, email, "pas le bon mot de passe du tout")
    expect(page.get_by_role("alert")).to_contain_text("Il y a un problème")
    check_page(page, "sign-in refused")
    _sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Mon compte — Julie Roy")).to_be_visible()
    # The dashboard holds no form: what is on file, and links (it was 3,500 px tall on a phone).
    expect(page.get_by_role("main").locator("form")).to_have_count(0)
    deleting = page.get_by_role("region", name="Supprimer mon compte")
    expect(deleting.get_by_role("link", name="Supprimer mon compte")).to_be_visible()
    check_page(page, "dashboard")
    screenshot(page, "account-dashboard")

    # --- personal information, on its own page: a refusal keeps what was typed, then saved ---
    personal = page.get_by_role("region", name="Informations personnelles")
    personal.get_by_role("link", name="Modifier mes informations").click()
    expect(page.get_by_role("heading", name="Modifier mes informations")).to_be_visible()
    expect(page.get_by_label("Prénom")).to_have_value("Julie")
    check_page(page, "personal information")
    screenshot(page, "account-profile")
    page.get_by_label("Adresse").fill("5689, boulevard Rosemont")
    page.get_by_label("Jour", exact=True).fill("31")
    page.get_by_label("Mois", exact=True).fill("2")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("Il y a un problème")
    expect(page.get_by_label("Adresse")).to_have_value("5689, boulevard Rosemont")
    check_page(page, "personal information refused")
    fill_date(page, "1985-03-14")
    page.get_by_role("button", name="Enregistrer").click()
    _notice_in_view(page, "Modifications enregistrées.")
    expect(personal).to_contain_text("5689, boulevard Rosemont")
    check_page(page, "personal information saved")

    # --- add a family member, on its own page (a refusal first: no date of birth) ---
    family = page.get_by_role("region", name="Ma famille")
    family.get_by_role("link", name="Ajouter une personne").click()
    expect(page.get_by_role("heading", name="Ajouter une personne")).to_be_visible()
    check_page(page, "family member")
    screenshot(page, "account-family-new")
    page.get_by_label("Prénom").fill("Zoé")
    page.get_by_role("button", name="Ajouter cette personne").click()
    expect(page.get_by_role("alert")).to_contain_text("Il y a un problème")
    check_page(page, "family member refused")
    fill_date(page, "2016-06-01")
    page.get_by_label("Femme").check()
    page.get_by_role("button", name="Ajouter cette personne").click()
    _notice_in_view(page, "Zoé Roy a été ajoutée à votre famille.")  # her sex known: the agreement with it
    expect(family.get_by_role("row", name=re.compile("Zoé Roy"))).to_contain_text("1 juin 2016")
    check_page(page, "family member added")

    # --- book for the family member, and for myself ---
    _search_and_choose(page, gateway)
    page.get_by_label(_time_label(catalogue.open_slot_starts_at)).check()
    page.get_by_role("group", name="Pour qui ?").get_by_label("Zoé Roy").check()
    page.get_by_role("button", name="Réserver").click()
    _confirmed(page, "booked for a family member")
    _search_and_choose(page, gateway)
    page.get_by_label(_time_label(_at(3, 16))).check()
    page.get_by_role("group", name="Pour qui ?").get_by_label(re.compile("Julie Roy")).check()
    page.get_by_role("button", name="Réserver").click()
    _confirmed(page, "booked for myself")

    # --- my appointments: confirm presence ---
    _menu(page, "Mes rendez-vous")
    check_page(page, "appointments")
    screenshot(page, "account-appointments")
    zoe = _upcoming(page, "Zoé Roy")
    zoe.get_by_role("button", name="Confirmer ma présence").click()
    expect(page.get_by_role("alert")).to_contain_text("Merci, votre présence est confirmée.")
    expect(zoe).to_contain_text("Présence confirmée")
    check_page(page, "presence confirmed")

    # --- reschedule: the page, a refusal (no time chosen), then moved to the new time, which is shown ---
    zoe.get_by_role("link", name=re.compile("^Déplacer")).click()
    expect(page.get_by_role("heading", name="Choisir une nouvelle heure")).to_be_visible()
    check_page(page, "reschedule")
    screenshot(page, "account-reschedule")
    page.get_by_role("button", name="Déplacer à cette heure").click()
    expect(page.get_by_role("alert")).to_contain_text("Choisissez une nouvelle heure.")
    check_page(page, "reschedule refused")
    page.get_by_label(later, exact=True).check()
    page.get_by_role("button", name="Déplacer à cette heure").click()
    expect(page.get_by_role("alert")).to_contain_text("Le rendez-vous a été déplacé au")
    expect(page.get_by_role("alert")).to_contain_text(later)
    expect(zoe).to_contain_text(later)
    expect(zoe).to_contain_text("Déplacé")
    check_page(page, "rescheduled")

    # --- cancel: the appointment shown, what happens, then done ---
    julie = _upcoming(page, "Julie Roy")
    julie.get_by_role("link", name=re.compile("^Annuler")).click()
    expect(page.get_by_role("heading", name="Voulez-vous annuler ce rendez-vous ?")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Julie Roy")
    expect(page.get_by_role("main")).to_contain_text("La place sera libérée")
    check_page(page, "cancel confirmation")
    page.get_by_role("button", name="Oui, annuler le rendez-vous").click()
    expect(page.get_by_role("alert")).to_contain_text("Le rendez-vous est annulé.")
    expect(_upcoming(page, "Julie Roy")).to_have_count(0)
    check_page(page, "cancelled")

    # --- change the e-mail with a code; the new one shows at once ---
    _menu(page, "Mon compte")
    page.get_by_role("link", name="Modifier courriel").click()
    check_page(page, "e-mail change")
    page.get_by_label("Nouveau courriel").fill(new_email)
    page.get_by_label("Mot de passe actuel").fill("pas le bon mot de passe du tout")
    page.get_by_role("button", name="Recevoir le code").click()
    expect(page.get_by_role("alert")).to_contain_text("Il y a un problème")
    expect(page.get_by_label("Nouveau courriel")).to_have_value(new_email)
    check_page(page, "e-mail change refused")
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    page.get_by_role("button", name="Recevoir le code").click()
    expect(page.get_by_label("Code")).to_be_visible()
    # Signed in, the address is the citizen's own: said plainly.
    _code_says_only(page, "Nous avons envoyé un code à j***@example.net", "Si ")
    check_page(page, "e-mail change code")
    page.get_by_label("Code").fill(code_from_mail(mail_sink, new_email))
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("alert")).to_contain_text("Votre courriel est changé.")
    expect(page.get_by_role("region", name="Informations personnelles")).to_contain_text(new_email)
    check_page(page, "e-mail changed")

    # --- sign out, then a forgotten password from the sign-in page ---
    _menu(page, "Se déconnecter", "button")
    _menu(page, "Se connecter")
    check_page(page, "sign-in")
    screenshot(page, "account-sign-in")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    check_page(page, "reset: who")
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("alert")).to_contain_text("Entrez votre courriel ou votre numéro de cellulaire.")
    check_page(page, "reset: who refused")
    page.get_by_label("Courriel ou cellulaire").fill(new_email)
    page.get_by_role("button", name="Continuer").click()
    new_password = page.get_by_label("Nouveau mot de passe")
    expect(new_password).to_have_attribute("type", "password")
    expect(new_password).to_have_attribute("autocomplete", "new-password")
    page.get_by_role("button", name="Afficher les caractères saisis").click()  # GOV.UK's show/hide
    expect(new_password).to_have_attribute("type", "text")
    page.get_by_role("button", name="Masquer les caractères saisis").click()
    expect(new_password).to_have_attribute("type", "password")
    check_page(page, "reset: new password")
    new_password.fill("court")
    page.get_by_role("button", name="Recevoir le code").click()
    expect(page.get_by_role("alert")).to_contain_text("Il y a un problème")
    check_page(page, "reset: new password refused")
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Recevoir le code").click()
    # The same words whether or not an account uses the address (no enumeration).
    _code_says_only(page, "Si un compte utilise j***@example.net, un code vient d'y être envoyé", "Nous avons envoyé")
    check_page(page, "reset: code")
    page.get_by_label("Code").fill(code_from_mail(mail_sink, new_email))
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("alert")).to_contain_text("Votre mot de passe est changé.")
    expect(page.get_by_label("Courriel ou cellulaire")).to_have_value(new_email)
    check_page(page, "reset: done")

    # --- sign in with the new password ---
    _sign_in(page, new_email, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Mon compte — Julie Roy")).to_be_visible()

    # --- delete the account: the upcoming appointments listed first, a wrong password refused ---
    page.get_by_role("region", name="Supprimer mon compte").get_by_role("link", name="Supprimer mon compte").click()
    upcoming = page.get_by_role("region", name="Vos rendez-vous à venir")
    expect(upcoming.get_by_role("listitem")).to_have_count(1)
    expect(upcoming).to_contain_text("Zoé Roy")
    expect(upcoming).to_contain_text(later)
    check_page(page, "delete")
    page.get_by_label("Mot de passe", exact=True).fill("pas le bon mot de passe du tout")
    page.get_by_role("button", name="Supprimer définitivement").click()
    expect(page.get_by_role("alert")).to_contain_text("Il y a un problème")
    check_page(page, "delete refused")
    page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Supprimer définitivement").click()
    expect(page.get_by_role("heading", name="Compte supprimé")).to_be_visible()
    check_page(page, "deleted")
