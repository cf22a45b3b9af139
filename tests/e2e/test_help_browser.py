"""The citizens' help section and the console's icon legend, in a browser through the real gateway."""

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.clinic_staff import STAFF_PASSWORD, add_staff, enter_code, totp_secret_for
from tests.e2e.conftest import Catalogue, booking
from tests.e2e.page_checks import check_page, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser

NAM_QUESTIONS = (
    "Comment changer ou corriger mon NAM ?",
    "J'ai créé plusieurs comptes avec le même NAM. Que faire ?",
    "Pourquoi donner mon numéro d'assurance maladie (NAM) ?",
)
DELETE_QUESTION = "Comment supprimer mon compte ?"


def _search(page: Page, query: str) -> None:
    page.get_by_role("searchbox", name="Rechercher dans l'aide").fill(query)
    page.get_by_role("button", name="Rechercher").click()


def test_the_help_answers_a_search_for_nam_and_for_supprimer(system: Supervisor, page: Page):
    page.goto(system.config.url("gateway") + "/")
    page.get_by_role("link", name="Aide", exact=True).first.click()  # the header's, or the footer's in the console
    expect(page.get_by_role("heading", name="Aide — Comptes citoyens")).to_be_visible()

    _search(page, "NAM")
    expect(page).to_have_url(re.compile(r"/help\?q=NAM$"))
    for question in NAM_QUESTIONS:
        expect(page.get_by_role("heading", name=question)).to_be_visible()
    expect(page.get_by_role("heading", name=DELETE_QUESTION)).to_have_count(0)

    _search(page, "supprimer")
    expect(page.get_by_role("status")).to_have_text("Réponses pour « supprimer »\u00a0: 1")
    answer = page.locator("article.help-entry")
    expect(answer).to_have_count(1)
    expect(answer.get_by_role("heading")).to_have_text(DELETE_QUESTION)
    expect(answer).to_contain_text("Supprimer définitivement")
    expect(page.get_by_role("heading", name=NAM_QUESTIONS[0])).to_have_count(0)

    _search(page, "xylophone")
    expect(page.get_by_role("status")).to_contain_text("Aucune réponse ne correspond à « xylophone »")
    expect(page.locator("article.help-entry")).to_have_count(0)


def test_the_search_works_without_javascript_and_in_english(system: Supervisor, browser: Browser):
    context = browser.new_context(locale="en-CA", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(system.config.url("gateway") + "/help")
        expect(page.get_by_role("heading", name="Help — Citizen accounts")).to_be_visible()
        page.get_by_role("searchbox", name="Search the help").fill("DELETE")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("article.help-entry")).to_have_count(1)
        expect(page.get_by_role("heading", name="How do I delete my account?")).to_be_visible()
        page.get_by_role("searchbox", name="Search the help").fill("nam")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_role("heading", name="I created several accounts with the same NAM. What should I do?"))
    finally:
        context.close()


def test_the_help_has_a_table_of_contents_and_a_support_address_to_write_to(system: Supervisor, page: Page):
    page.goto(system.config.url("gateway") + "/help")
    contents = page.get_by_role("navigation", name="Sur cette page")
    expect(contents.get_by_role("link")).to_have_count(page.locator("article").count())
    contents.get_by_role("link", name=DELETE_QUESTION).click()
    expect(page).to_have_url(re.compile(r"/help#"))
    expect(page.get_by_role("heading", name=DELETE_QUESTION)).to_be_in_viewport()
    support = page.get_by_role("link", name="support@rendezvous-sante.example")
    expect(support).to_have_attribute("href", "mailto:support@rendezvous-sante.example")
    _search(page, "mot de passe oublié")
    expect(page.get_by_role("heading", name="J'ai oublié mon mot de passe. Que faire ?")).to_be_visible()
    _search(page, "xylophone")  # the no-answer message offers the address too, as a link
    expect(page.get_by_role("status").get_by_role("link")).to_have_attribute(
        "href", "mailto:support@rendezvous-sante.example"
    )
    # English puts no space before a colon; French a non-breaking one, never an ordinary space.
    page.goto(system.config.url("gateway") + "/help?lang=en")
    assert " :" not in page.locator("main").inner_text()
    page.goto(system.config.url("gateway") + "/help?lang=fr")
    assert " :" not in page.locator("main").inner_text().replace("\u00a0:", "")


def test_each_answer_ends_with_a_link_back_to_the_top(system: Supervisor, sized_page: Page):
    """The whole help is about 10,000 px tall on a phone: after each answer, a way back to the contents (GOV.UK's
    back-to-top pattern), or with a search, which has no contents, to the top of the page."""
    page = sized_page
    page.goto(system.config.url("gateway") + "/help")
    answers = page.locator("article.help-entry")
    back = answers.get_by_role("link", name="Retour en haut", exact=True)
    expect(back).to_have_count(answers.count())
    last = back.last
    last.scroll_into_view_if_needed()
    check_page(page, "help, at its last answer")
    last.click()
    expect(page).to_have_url(re.compile(r"/help#help-contents$"))
    expect(page.get_by_role("heading", name="Sur cette page")).to_be_in_viewport()

    _search(page, "supprimer")
    back = page.locator("article.help-entry").get_by_role("link", name="Retour en haut", exact=True)
    expect(back).to_have_count(1)
    expect(back).to_have_attribute("href", "#main-content")
    check_page(page, "help search, back to the top")

    page.goto(system.config.url("gateway") + "/help?lang=en")
    expect(page.locator("article.help-entry").get_by_role("link", name="Back to top").first).to_be_attached()


def test_typing_updates_the_answers_without_reloading(system: Supervisor, page: Page):
    page.goto(system.config.url("gateway") + "/help")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("searchbox", name="Rechercher dans l'aide").press_sequentially("supprim", delay=30)
    expect(page.locator("article.help-entry")).to_have_count(1)
    expect(page.get_by_role("heading", name=DELETE_QUESTION)).to_be_visible()
    assert page.evaluate("window.notReloaded") is True


@pytest.mark.parametrize("path", ["/", "/account/login", "/account/register", "/help", "/admin/login"])
def test_every_portal_page_links_to_the_help(system: Supervisor, page: Page, path: str):
    gateway = system.config.url("gateway")
    page.goto(gateway + path)
    page.get_by_role("link", name="Aide", exact=True).first.click()  # the header's, or the footer's in the console
    expect(page.get_by_role("heading", name="Aide — Comptes citoyens")).to_be_visible()
    page.goto(gateway + path + "?lang=en")
    expect(page.get_by_role("link", name="Help", exact=True).first).to_have_attribute("href", "/help")


LEGEND = {
    "no-account": ("Aucun compte associé au rendez-vous", {"profile": "grey"}),
    "identity-not-validated": ("Identité non validée par l'établissement de santé", {"profile": "red"}),
    "identity-validated": ("Identité validée par l'établissement de santé", {"profile": "green"}),
    "holder-and-association-not-validated": (
        "Identité du détenteur du compte non validée et association du patient au compte non validée",
        {"profile": "red", "card": "red"},
    ),
    "association-not-validated": (
        "Identité du détenteur du compte validée et association du patient au compte non validée",
        {"profile": "green", "card": "red"},
    ),
    "holder-not-validated-association-validated": (
        "Identité du détenteur du compte non validée et association du patient au compte validée",
        {"profile": "red", "card": "green"},
    ),
    "both-validated": (
        "Identité du détenteur du compte validée et association du patient au compte validée",
        {"profile": "green", "card": "green"},
    ),
}


def test_the_legend_opens_from_suivi_and_shows_every_icon_state(system: Supervisor, catalogue: Catalogue, page: Page):
    run_sync(
        add_staff(system.config.database_urls["accounts"], catalogue.establishment_id, "aide@rosemont.example", "clerk")
    )
    page.goto(system.config.url("gateway") + "/admin")
    page.get_by_label("Courriel professionnel").fill("aide@rosemont.example")
    page.get_by_label("Mot de passe", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Se connecter").last.click()
    enter_code(page, totp_secret_for("aide@rosemont.example"))
    expect(page.get_by_role("heading", name="Suivi")).to_be_visible()

    page.get_by_role("link", name="Légende", exact=True).click()  # in the console menu
    expect(page.get_by_role("heading", name="Légende des icônes du Suivi")).to_be_visible()
    rows = page.get_by_role("table", name="Légende des icônes du Suivi").locator("tbody tr")
    expect(rows).to_have_count(len(LEGEND))
    for slug, (state, icons) in LEGEND.items():
        row = page.locator(f"tr[data-legend={slug}]")
        expect(row.get_by_role("rowheader")).to_have_text(state)
        expect(row.locator("[data-icon]")).to_have_count(len(icons))
        for kind, colour in icons.items():
            expect(row.locator(f"[data-icon={kind}]")).to_have_attribute("data-state", colour)
        expect(row.locator("td").last).not_to_be_empty()  # the action to take
    expect(page.locator("tr[data-legend=identity-not-validated] [data-icon=profile]")).to_contain_text(
        "Identité non validée"  # the state in words beside its icon, not by colour alone
    )
    expect(page.get_by_text("Marquer le statut « Présent » initie la séquence d'authentification")).to_be_visible()

    page.goto(page.url + ("&" if "?" in page.url else "?") + "lang=en")
    expect(page.get_by_role("heading", name="Daily list icon legend")).to_be_visible()
    expect(page.locator("tr[data-legend=association-not-validated] th")).to_have_text(
        "Account holder's identity validated and patient's association with the account not validated"
    )
    page.get_by_role("link", name="Back to the daily list").first.click()
    expect(page.get_by_role("heading", name="Daily list")).to_be_visible()


def test_the_legend_is_for_signed_in_staff(system: Supervisor, page: Page):
    page.goto(system.config.url("gateway") + "/admin/legend")
    expect(page.get_by_role("heading", name="Connexion du personnel")).to_be_visible()


def test_an_email_footer_carries_the_help_link(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, page: Page
):
    gateway = system.config.url("gateway")
    body = booking(catalogue.open_slot)
    assert httpx.post(f"{gateway}/api/appointments", json=body).status_code == 201
    [mail] = mail_sink.wait_for_recipient(body["email"])
    footer = "Aide et questions fréquentes (compte, NAM, famille, soutien) :"
    assert footer in mail.body
    link = re.search(r"(http://\S+/help\?lang=fr)\s*$", mail.body)
    assert link is not None, mail.body
    assert link.group(1) == f"{gateway}/help?lang=fr"
    page.goto(link.group(1))
    expect(page.get_by_role("heading", name="Aide — Comptes citoyens")).to_be_visible()
