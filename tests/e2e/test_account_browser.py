"""The citizen account pages in a real browser, following the information sheet's steps."""

import pytest
from playwright.sync_api import Page, expect

from shared.devstack.mail_sink import MailSink
from shared.devstack.sms_sink import SmsSink
from shared.devstack.supervisor import Supervisor
from shared.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, code_from_mail, traces_of, wait_until

pytestmark = pytest.mark.browser
EMAIL = "julie.roy@example.org"
NEW_EMAIL = "julie.roy@example.net"


def _register_and_log_in(page: Page, gateway: str, mail_sink: MailSink) -> None:
    page.goto(gateway + "/")
    page.get_by_role("link", name="Créer un compte").click()
    expect(page.get_by_role("heading", name="Créer mon compte Rendez-vous santé")).to_be_visible()
    page.get_by_label("Prénom").fill("Julie")
    page.get_by_label("Nom", exact=True).fill("Roy")
    page.get_by_label("Date de naissance").fill("1985-03-14")
    page.get_by_label("Sexe").select_option("F")
    page.get_by_label("Courriel").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page.get_by_role("heading", name="Entrez le code à 6 chiffres")).to_be_visible()
    expect(page.get_by_text("j***@example.org")).to_be_visible()
    page.get_by_label("Code").fill(code_from_mail(mail_sink, EMAIL))
    page.get_by_role("button", name="Confirmer").click()

    expect(page.get_by_text("Votre compte est activé")).to_be_visible()
    page.get_by_label("Courriel ou cellulaire").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").last.click()
    expect(page.get_by_role("heading", name="Mon compte — Julie Roy")).to_be_visible()


def test_register_confirm_log_in_add_family_change_email_and_delete(
    system: Supervisor, mail_sink: MailSink, sms_sink: SmsSink, page: Page
):
    gateway = system.config.url("gateway")
    _register_and_log_in(page, gateway, mail_sink)

    family = page.locator("#family")
    for first_name, birth_date in (("Zoé", "2016-06-01"), ("Éli", "2019-01-20")):
        family.get_by_label("Prénom").fill(first_name)
        family.get_by_label("Date de naissance").fill(birth_date)
        family.get_by_role("button", name="Ajouter cette personne").click()
        expect(page.locator("ul.family")).to_contain_text(f"{first_name} Roy")
    expect(page.locator("ul.family li")).to_have_count(2)

    sensitive = page.locator("#sensitive")
    sensitive.get_by_label("À changer").select_option("email")
    sensitive.get_by_label("Nouvelle valeur").fill(NEW_EMAIL)
    sensitive.get_by_label("Mot de passe actuel").fill(PASSWORD)
    sensitive.get_by_role("button", name="Recevoir le code").click()
    expect(page.get_by_text("j***@example.net")).to_be_visible()
    page.get_by_label("Code").fill(code_from_mail(mail_sink, NEW_EMAIL))
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("status")).to_contain_text("Modifications enregistrées")

    def new_email_shown() -> bool:
        page.reload()
        return NEW_EMAIL in page.locator("#personal").inner_text()

    wait_until(new_email_shown, message="new email never shown")

    # The sheet's steps: Personal information -> Delete my account -> password -> confirmation.
    page.locator("#personal").get_by_role("link", name="Supprimer mon compte").click()
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Supprimer définitivement").click()
    expect(page.get_by_role("status")).to_contain_text("Votre compte a été supprimé")
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    wait_until(lambda: run_sync(traces_of(system.config.database_urls, [EMAIL, NEW_EMAIL])) == [], timeout=15)


def test_registration_form_shows_each_problem_beside_its_field(system: Supervisor, page: Page):
    page.goto(system.config.url("gateway") + "/account/register")
    page.get_by_label("Prénom").fill("Julie")
    page.get_by_label("Nom", exact=True).fill("Roy")
    page.get_by_label("Date de naissance").fill("1985-03-14")
    page.get_by_label("Numéro d'assurance maladie").fill("ROYJ 8553 149")
    page.get_by_label("Courriel").fill("julie@example.org")
    page.get_by_label("Mot de passe").fill("trop court")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#nam-error")).to_have_text("Numéro d'assurance maladie invalide.")
    expect(page.get_by_label("Prénom")).to_have_value("Julie")


def test_wrong_code_is_refused_and_says_how_many_tries_are_left(system: Supervisor, mail_sink: MailSink, page: Page):
    page.goto(system.config.url("gateway") + "/account/register?lang=en")
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Lee")
    page.get_by_label("Date of birth").fill("1990-05-05")
    page.get_by_label("Email").fill("sam.lee@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    real = code_from_mail(mail_sink, "sam.lee@example.org")
    wrong = f"{(int(real) + 1) % 1_000_000:06d}"
    page.get_by_label("Code").fill(wrong)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("4")
