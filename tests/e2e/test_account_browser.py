"""The citizen account pages in a real browser, following the information sheet's steps."""

import pytest
from playwright.sync_api import Locator, Page, expect

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, code_from_mail, fill_date, traces_of, wait_until
from tests.e2e.page_checks import check_page, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser
EMAIL = "julie.roy@example.org"
# Each added with a sex, and the banner that says so: French agrees with the person's sex, or says it otherwise.
FAMILY = (
    ("Zoé", "2016-06-01", "1 juin 2016", "Femme", "Zoé Roy a été ajoutée à votre famille."),
    ("Éli", "2019-01-20", "20 janvier 2019", "Homme", "Éli Roy a été ajouté à votre famille."),
    ("Alex", "2021-09-05", "5 septembre 2021", "Autre", "Alex Roy fait maintenant partie de votre famille."),
)


def _open_menu(page: Page) -> Locator:
    """The header's menu, opened first on a phone."""
    menu = page.get_by_role("navigation", name="Menu principal")
    if menu.get_by_role("button", name="Menu").is_visible():
        menu.get_by_role("button", name="Menu").click()
    return menu


def _register_and_log_in(page: Page, gateway: str, mail_sink: MailSink, email: str = EMAIL) -> None:
    page.goto(gateway + "/")
    _open_menu(page).get_by_role("link", name="Créer un compte").click()
    expect(page.get_by_role("heading", name="Créer un compte")).to_be_visible()
    page.get_by_label("Prénom").fill("Julie")
    page.get_by_label("Nom", exact=True).fill("Roy")
    fill_date(page, "1985-03-14")
    page.get_by_label("Femme").check()
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page.get_by_role("heading", name="Entrez le code à 6 chiffres")).to_be_visible()
    expect(page.get_by_text("j***@example.org")).to_be_visible()
    page.get_by_label("Code").fill(code_from_mail(mail_sink, email))
    page.get_by_role("button", name="Confirmer").click()

    # Activated: the sign-in page has the identifier typed, the password is all that is asked.
    expect(page.get_by_text("Votre compte est activé")).to_be_visible()
    expect(page.get_by_label("Courriel ou cellulaire")).to_have_value(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").last.click()
    expect(page.get_by_role("heading", name="Mon compte — Julie Roy")).to_be_visible()


def test_register_confirm_log_in_add_family_change_email_and_delete(
    system: Supervisor, mail_sink: MailSink, sms_sink: SmsSink, sized_page: Page, viewport: str
):
    page = sized_page
    gateway = system.config.url("gateway")
    email, new_email = f"julie.roy.{viewport}@example.org", f"julie.roy.{viewport}@example.net"
    _register_and_log_in(page, gateway, mail_sink, email)
    # The identifier is given once: a later visit to the sign-in page starts empty.
    page.goto(gateway + "/account/login")
    expect(page.get_by_label("Courriel ou cellulaire")).to_have_value("")
    page.goto(gateway + "/account")

    family = page.get_by_role("region", name="Ma famille")
    for first_name, birth_date, written, sex, added in FAMILY:
        family.get_by_role("link", name="Ajouter une personne").click()
        expect(page.get_by_label("Nom", exact=True)).to_have_value("Roy")  # the family's name offered
        page.get_by_label("Prénom").fill(first_name)
        fill_date(page, birth_date)
        page.get_by_label(sex, exact=True).check()
        page.get_by_role("button", name="Ajouter cette personne").click()
        # Back on the dashboard with the banner at the top, in view (no anchor scrolls it away).
        notice = page.get_by_role("alert")
        expect(notice).to_contain_text(added)
        expect(notice).to_be_in_viewport()
        expect(family.get_by_role("row", name=f"{first_name} Roy")).to_contain_text(written)  # never ISO
        check_page(page, f"family: {first_name} added")
    expect(family.get_by_role("row")).to_have_count(4)  # the header and three people

    # "Retirer" asks first, saying what happens, then says it is done.
    family.get_by_role("link", name="Retirer Éli Roy").click()
    expect(page.get_by_role("heading", name="Retirer Éli Roy de votre famille ?")).to_be_visible()
    expect(page.get_by_text("20 janvier 2019")).to_be_visible()
    check_page(page, "family: remove")
    page.get_by_role("button", name="Oui, retirer cette personne").click()
    expect(page.get_by_role("alert")).to_contain_text("La personne a été retirée de votre famille.")
    expect(page.get_by_role("alert")).to_be_in_viewport()
    expect(family.get_by_role("row")).to_have_count(3)
    check_page(page, "family: removed")

    page.get_by_role("link", name="Modifier courriel").click()
    page.get_by_label("Nouveau courriel").fill(new_email)
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    page.get_by_role("button", name="Recevoir le code").click()
    expect(page.get_by_text("j***@example.net")).to_be_visible()
    page.get_by_label("Code").fill(code_from_mail(mail_sink, new_email))
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("alert")).to_contain_text("Votre courriel est changé.")
    # The new address at once, without a reload.
    expect(page.locator("#personal")).to_contain_text(new_email)

    # Deleting is last on the dashboard, under its own heading, with what it means.
    deleting = page.get_by_role("region", name="Supprimer mon compte")
    expect(deleting).to_contain_text("Vos informations et celles de votre famille seront effacées.")
    deleting.get_by_role("link", name="Supprimer mon compte").click()
    check_page(page, "delete")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Supprimer définitivement").click()
    expect(page.get_by_role("status")).to_contain_text("Compte supprimé")
    check_page(page, "deleted")
    _open_menu(page)
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    wait_until(lambda: run_sync(traces_of(system.config.database_urls, [email, new_email])) == [], timeout=15)


def test_registration_form_shows_each_problem_beside_its_field(system: Supervisor, page: Page):
    page.goto(system.config.url("gateway") + "/account/register")
    page.get_by_label("Prénom").fill("Julie")
    page.get_by_label("Nom", exact=True).fill("Roy")
    fill_date(page, "1985-03-14")
    page.get_by_label("Numéro d'assurance maladie").fill("ROYJ 8553 149")
    page.get_by_label("Courriel").fill("julie@example.org")
    page.get_by_label("Mot de passe", exact=True).fill("trop court")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#nam-error")).to_contain_text("Numéro d'assurance maladie invalide.")
    # The error summary links to the field.
    page.get_by_role("alert").get_by_role("link", name="Numéro d'assurance maladie invalide.").click()
    expect(page.get_by_label("Numéro d'assurance maladie")).to_be_focused()
    expect(page.get_by_label("Prénom")).to_have_value("Julie")


def test_wrong_code_is_refused_and_says_how_many_tries_are_left(system: Supervisor, mail_sink: MailSink, page: Page):
    page.goto(system.config.url("gateway") + "/account/register?lang=en")
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Lee")
    fill_date(page, "1990-05-05")
    page.get_by_label("Male", exact=True).check()
    page.get_by_label("Email").fill("sam.lee@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    real = code_from_mail(mail_sink, "sam.lee@example.org")
    wrong = f"{(int(real) + 1) % 1_000_000:06d}"
    page.get_by_label("Code").fill(wrong)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("4")
