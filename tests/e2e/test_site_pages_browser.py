"""The pages every visitor reaches from the footer, and the error pages, in a browser through the real gateway:
a full page in the visitor's language (the other one below on error pages), usable at desktop and phone sizes."""

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.supervisor import Supervisor
from tests.e2e.page_checks import check_page, screenshot, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser


def test_the_footer_leads_to_the_privacy_policy_contact_and_accessibility(system: Supervisor, sized_page: Page):
    page = sized_page
    page.goto(system.config.url("gateway") + "/help")
    footer = page.get_by_role("contentinfo")

    footer.get_by_role("link", name="Confidentialité").click()
    expect(page).to_have_title("Confidentialité – Rendez-vous santé")
    # Law 25: who is responsible, what and why, how long, the rights and how to exercise them.
    for heading in (
        "Qui est responsable de vos renseignements",
        "Ce que nous recueillons et pourquoi",
        "Combien de temps nous les gardons",
        "Vos droits",
        "Comment exercer vos droits",
    ):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(page.get_by_role("link", name=heading, exact=True)).to_be_visible()  # the table of contents
    expect(page.get_by_text("Commission d'accès à l'information", exact=False)).to_be_visible()
    check_page(page, "privacy policy")
    screenshot(page, "site-privacy")

    page.get_by_role("contentinfo").get_by_role("link", name="Nous joindre").click()
    expect(page.get_by_role("heading", name="Nous joindre", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="support@rendezvous-sante.example")).to_have_attribute(
        "href", "mailto:support@rendezvous-sante.example"
    )
    expect(page.get_by_text("811", exact=False)).to_be_visible()
    check_page(page, "contact")

    page.get_by_role("contentinfo").get_by_role("link", name="Accessibilité").click()
    expect(page.get_by_role("heading", name="Accessibilité", exact=True)).to_be_visible()
    check_page(page, "accessibility")

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Accessibility", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_page(page, "accessibility, in English")


def test_an_unknown_address_answers_a_full_page_in_both_languages(system: Supervisor, sized_page: Page):
    page = sized_page
    answer = page.goto(system.config.url("gateway") + "/nulle-part")
    assert answer is not None
    assert answer.status == 404
    expect(page).to_have_title("Page introuvable – Rendez-vous santé")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    expect(page.locator("[lang=en]").get_by_text("Page not found")).to_be_visible()
    expect(page.get_by_role("link", name="Retour à l'accueil")).to_be_visible()
    expect(page.get_by_text("Ressource introuvable")).to_have_count(0)  # the API's words, not the page's
    check_page(page, "404 page")
    screenshot(page, "site-not-found")

    answer = page.goto(system.config.url("gateway") + "/book/pas-un-identifiant")
    assert answer is not None
    assert answer.status == 422
    expect(page.get_by_role("heading", name="Renseignements invalides")).to_be_visible()
    check_page(page, "422 page")


def test_an_unknown_console_address_keeps_the_console_header(system: Supervisor, sized_page: Page):
    page = sized_page
    answer = page.goto(system.config.url("gateway") + "/admin/nulle-part")
    assert answer is not None
    assert answer.status == 404
    expect(page).to_have_title("Page introuvable – Console des établissements")
    expect(page.get_by_role("banner")).to_contain_text("Console des établissements")
    expect(page.get_by_role("link", name="Créer un compte")).to_have_count(0)
    expect(page.get_by_role("link", name="Retour à la console")).to_have_attribute("href", "/admin")
    check_page(page, "404 page of the console")


def test_switching_language_keeps_the_page_and_its_query(system: Supervisor, sized_page: Page):
    page = sized_page
    page.goto(system.config.url("gateway") + "/privacy?x=1#droits")
    link = page.get_by_role("link", name="English")
    expect(link).to_have_attribute("href", "/privacy?x=1&lang=en")
    link.click()
    expect(page.get_by_role("heading", name="Privacy", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Français")).to_have_attribute("href", "/privacy?x=1&lang=fr")


@pytest.mark.parametrize(
    ("method", "path", "status", "heading"),
    [
        ("GET", "/nulle-part", 404, "Page introuvable"),
        ("GET", "/book/pas-un-identifiant", 422, "Renseignements invalides"),
        ("GET", "/account/%2e%2e/admin", 400, "Adresse de page invalide"),
        ("POST", "/account/login", 403, "Accès refusé"),  # no CSRF token nor Origin
        ("GET", "/account/logout", 405, "Page introuvable"),  # a form's action, opened as a link
    ],
)
def test_every_refusal_on_a_page_path_is_a_page(system: Supervisor, method: str, path: str, status: int, heading: str):
    answer = httpx.request(method, system.config.url("gateway") + path, data={"x": "y"})
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert '<html lang="fr"' in answer.text
    assert f"<title>{heading} – Rendez-vous santé</title>" in answer.text


def test_an_oversized_form_answers_a_page_and_the_api_keeps_json(system: Supervisor):
    gateway = system.config.url("gateway")
    answer = httpx.post(gateway + "/account/login", content=b"x" * (2 * 1024 * 1024))
    assert answer.status_code == 413
    assert "<title>Envoi trop volumineux – Rendez-vous santé</title>" in answer.text
    api = httpx.get(gateway + "/api/nowhere")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/json")


def test_head_of_a_page_answers_like_its_get_and_the_favicon_is_found(system: Supervisor):
    gateway = system.config.url("gateway")
    head = httpx.head(gateway + "/")
    assert head.status_code == 200
    assert head.content == b""
    icon = httpx.get(gateway + "/favicon.ico", follow_redirects=True)
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
