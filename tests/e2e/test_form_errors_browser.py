"""Every form submitted empty says, in one pass, what each field needs in that field's own words (GOV.UK's error
messages: "Entrez votre prénom", not the validator's "Une chaîne de caractères est attendue."), each message
linked from the error summary to its field, and the page's title starts with "Erreur : " (issue 19).

One size is enough here: the journeys check the pages at both sizes; this checks the words and the links."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, active_account
from tests.e2e.clinic_staff import add_staff, log_in, slot_soon
from tests.e2e.conftest import Catalogue
from tests.e2e.page_checks import check_page

pytestmark = pytest.mark.browser
CITIZEN = "vide.formulaires@example.org"
CLERK = "accueil.vide@rosemont.example"
GENERIC = re.compile("chaîne de caractères|Valeur non permise|Date invalide|ne peut pas être vide|obligatoire")


def _reports(page: Page, label: str, expected: dict[str, str]) -> None:
    """Each field's message is in the summary, links to the field (an element of the page), and is shown there."""
    expect(page).to_have_title(re.compile("^Erreur\u00a0: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    for target, message in expected.items():
        link = summary.get_by_role("link", name=message, exact=True)
        expect(link).to_have_attribute("href", f"#{target}")
        expect(page.locator(f"[id='{target}']")).to_have_count(1)
    expect(summary.get_by_role("link")).to_have_count(len(expected))
    assert not GENERIC.search(summary.inner_text()), summary.inner_text()
    check_page(page, label)


def test_the_citizens_forms_submitted_empty_name_each_field(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, page: Page
):
    gateway = system.config.url("gateway")

    page.goto(gateway + "/account/register")
    expect(page).to_have_title("Créer un compte – Rendez-vous santé")
    page.get_by_role("button", name="Créer mon compte").click()
    _reports(
        page,
        "registration submitted empty",
        {
            "first_name": "Entrez votre prénom.",
            "last_name": "Entrez votre nom de famille.",
            "birth_date-day": "Entrez votre date de naissance.",
            "sex": "Choisissez le sexe inscrit sur la carte d'assurance maladie.",
            "email": "Indiquez au moins un courriel ou un numéro de cellulaire.",
            "password": "Entrez votre mot de passe.",
        },
    )
    expect(page).to_have_title("Erreur\u00a0: Créer un compte – Rendez-vous santé")

    page.goto(gateway + "/account/login")
    page.locator("main").get_by_role("button", name="Se connecter").click()
    _reports(
        page,
        "sign-in submitted empty",
        {
            "identifier": "Entrez votre courriel ou votre numéro de cellulaire.",
            "password": "Entrez votre mot de passe.",
        },
    )

    page.goto(gateway + "/account/password-reset")
    page.get_by_role("button", name="Continuer").click()
    _reports(
        page,
        "forgotten password submitted empty",
        {"identifier": "Entrez votre courriel ou votre numéro de cellulaire."},
    )

    page.goto(gateway + f"/book/{catalogue.service_id}")
    page.get_by_role("button", name="Réserver").click()
    _reports(
        page,
        "booking without an account submitted empty",
        {
            "slot_id": "Choisissez une heure.",
            "first_name": "Entrez votre prénom.",
            "last_name": "Entrez votre nom de famille.",
            "email": "Indiquez au moins un courriel ou un numéro de cellulaire.",
        },
    )

    with httpx.Client(base_url=gateway, timeout=10) as client:
        active_account(client, mail_sink, CITIZEN)
    page.goto(gateway + "/account/login")
    page.get_by_label("Courriel ou cellulaire").fill(CITIZEN)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name=re.compile("^Mon compte"))).to_be_visible()

    page.goto(gateway + "/account/family/new")
    page.get_by_label("Nom", exact=True).fill("")
    page.get_by_role("button", name="Ajouter cette personne").click()
    _reports(
        page,
        "family member submitted empty",
        {
            "first_name": "Entrez le prénom.",
            "last_name": "Entrez le nom de famille.",
            "birth_date-day": "Entrez la date de naissance.",
            "sex": "Choisissez le sexe inscrit sur la carte d'assurance maladie.",
        },
    )

    page.goto(gateway + "/account/profile")
    for label in ("Prénom", "Nom", "Jour", "Mois", "Année"):
        page.get_by_label(label, exact=True).fill("")
    page.get_by_role("button", name="Enregistrer").click()
    _reports(
        page,
        "personal information submitted empty",
        {
            "first_name": "Entrez votre prénom.",
            "last_name": "Entrez votre nom de famille.",
            "birth_date-day": "Entrez votre date de naissance.",
        },
    )


def test_the_consoles_sign_in_and_identity_window_submitted_empty_name_each_field(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, page: Page
):
    gateway = system.config.url("gateway")
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, CLERK, "clerk"))
    slot = run_sync(slot_soon(urls["appointments"], catalogue.service_id))
    with httpx.Client(base_url=gateway, timeout=10) as client:
        auth = active_account(client, mail_sink, "patient.vide@example.org")
        booked = client.post("/api/my/appointments", json={"slot_id": str(slot.id)}, headers=auth)
        assert booked.status_code == 201, booked.text

    page.goto(gateway + "/admin/login")
    page.locator("main").get_by_role("button", name="Se connecter").click()
    _reports(
        page,
        "console sign-in submitted empty",
        {"email": "Entrez votre courriel.", "password": "Entrez votre mot de passe."},
    )

    log_in(page, gateway, CLERK)
    page.goto(f"{gateway}/admin/appointments/{booked.json()['id']}/identity?day={slot.day.isoformat()}")
    expect(page.get_by_role("heading", name="Confirmation de l'identité du patient")).to_be_visible()
    for label in ("Prénom", "Nom", "Jour", "Mois", "Année"):
        page.get_by_label(label, exact=True).fill("")
    page.get_by_role("button", name="Je confirme l'identité du patient").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    for message in ("Entrez le prénom.", "Entrez le nom de famille.", "Indiquez la date de naissance."):
        link = summary.get_by_role("link", name=message, exact=True)
        target = link.get_attribute("href")
        assert target is not None
        assert target.startswith("#"), target
        expect(page.locator(f"[id='{target[1:]}']")).to_have_count(1)
    # The sex (pre-selected from the account) and the box each have their own words, whatever the console says.
    assert not GENERIC.search(summary.inner_text()), summary.inner_text()
    expect(page).to_have_title(re.compile("^Erreur\u00a0: "))
    check_page(page, "identity window submitted empty")
