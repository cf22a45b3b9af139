"""Issue 22, item 5: a password a cracker tries early is refused where a citizen types one (the JSON API, the
registration form, the profile's new password), on its field, with a reason that says what to do instead; a
long phrase of unrelated words is accepted. The rule itself is unit-tested beside it
(services/accounts/tests/unit/test_domain.py); here, what a citizen sees of it."""

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from tests.e2e.accounts_flow import PASSWORD, active_account, code_from_mail, fill_date
from tests.e2e.forms import submit
from tests.e2e.page_checks import check_page, screenshot, sized_page_fixture, viewport_fixture  # noqa: F401

PERSON = {"first_name": "Josephine", "last_name": "Gagnon", "birth_date": "1948-05-02", "sex": "F"}
GUESSABLE = ["password123456789", "Montreal2026!!!!", "Josephine1234567890"]
# Four words drawn at random from a dictionary, once: what the refusals advise.
PASSPHRASE = "orignal tambour cerise boussole"
# The way out each refusal gives, in both languages.
ADVICE = {"fr": "4 mots ou plus sans lien entre eux", "en": "4 or more unrelated words"}


@pytest.fixture
def client(system: Supervisor):
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        yield client


@pytest.mark.parametrize("password", GUESSABLE)
def test_registration_refuses_a_guessable_password_on_its_field_saying_what_to_do(
    client: httpx.Client, mail_sink: MailSink, password: str
):
    body = {**PERSON, "email": "josephine.gagnon@example.org", "password": password}
    for language in ("fr", "en"):
        refused = client.post("/api/registrations", json=body, headers={"accept-language": language})
        assert refused.status_code == 422, refused.text
        (error,) = refused.json()["errors"]
        assert (error["field"], error["code"]) == ("password", "weak_password")
        assert ADVICE["fr"] in error["message"]["fr"], error
        assert ADVICE["en"] in error["message"]["en"], error
        assert refused.json()["detail"] == error["message"][language]
    assert mail_sink.messages() == []  # no account, so no code either


def test_registration_accepts_a_phrase_of_unrelated_words(client: httpx.Client, mail_sink: MailSink):
    email = "josephine.gagnon@example.org"
    registered = client.post("/api/registrations", json={**PERSON, "email": email, "password": PASSPHRASE})
    assert registered.status_code == 202, registered.text
    code = code_from_mail(mail_sink, email)
    verified = client.post(
        f"/api/challenges/{registered.json()['challenge_id']}/verify",
        json={"code": code, "purpose": "activate_account"},
    )
    assert verified.status_code == 200, verified.text


def test_the_registration_form_and_the_new_password_page_refuse_it_on_the_field(
    client: httpx.Client, mail_sink: MailSink
):
    form = client.get("/account/register")
    fields = {
        "first_name": "Josephine",
        "last_name": "Gagnon",
        "birth_date_day": "2",
        "birth_date_month": "5",
        "birth_date_year": "1948",
        "sex": "F",
        "email": "josephine.form@example.org",
        "language": "fr",
        "password": "Josephine1234567890",
    }
    page = submit(client, form, "/account/register", fields)
    assert page.status_code == 422
    assert 'href="#password"' in page.text  # the summary links to the field…
    assert 'id="password-error"' in page.text  # …which shows the reason
    assert "votre nom ou votre courriel" in page.text
    assert ADVICE["fr"] in page.text

    # Signed in, the profile's new password: the same rule, shown on that page's own field.
    auth = active_account(client, mail_sink, "josephine.profil@example.org", **PERSON)
    api = client.post(
        "/api/me/sensitive-changes",
        json={"kind": "password", "new_value": "Montreal2026!!!!", "current_password": PASSWORD},
        headers=auth,
    )
    assert api.status_code == 422, api.text
    (error,) = api.json()["errors"]
    assert (error["field"], error["code"]) == ("new_value", "weak_password")  # the request's own field
    assert ADVICE["fr"] in error["message"]["fr"], error
    assert ADVICE["en"] in error["message"]["en"], error
    login = client.get("/account/login")  # the pages' own session
    submit(client, login, "/account/login", {"identifier": "josephine.profil@example.org", "password": PASSWORD})
    change = client.get("/account/change/password")
    assert change.status_code == 200, change.text
    refused = submit(
        client, change, "/account/change/password", {"new_value": "Josephine1234567890", "current_password": PASSWORD}
    )
    assert refused.status_code == 422
    assert 'href="#new_value"' in refused.text, refused.text
    assert 'id="new_value-error"' in refused.text
    accepted = submit(
        client, change, "/account/change/password", {"new_value": PASSPHRASE, "current_password": PASSWORD}
    )
    assert accepted.status_code == 200
    assert "Entrez le code à 6 chiffres" in accepted.text


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_password_reset_refuses_it_on_its_new_password_field(client: httpx.Client, language: str):
    refused = client.post(
        "/api/password-resets",
        json={"identifier": "x@example.org", "new_password": "Montreal2026!!!!"},
        headers={"accept-language": language},
    )
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert (error["field"], error["code"]) == ("new_password", "weak_password")
    assert ADVICE["fr"] in error["message"]["fr"], error
    assert ADVICE["en"] in error["message"]["en"], error
    assert refused.json()["detail"] == error["message"][language]


def test_the_forgotten_password_page_refuses_it_on_its_field(client: httpx.Client):
    asked = submit(
        client, client.get("/account/password-reset"), "/account/password-reset", {"identifier": "x@example.org"}
    )
    refused = submit(
        client,
        asked,
        "/account/password-reset/new",
        {"identifier": "x@example.org", "new_password": "Montreal2026!!!!"},
    )
    assert refused.status_code == 422
    assert 'href="#new_password"' in refused.text, refused.text
    assert 'id="new_password-error"' in refused.text
    assert ADVICE["fr"] in refused.text


@pytest.mark.browser
def test_the_refusal_in_a_browser(system: Supervisor, sized_page: Page):
    page = sized_page
    page.goto(system.config.url("gateway") + "/account/register")
    page.get_by_label("Prénom").fill("Josephine")
    page.get_by_label("Nom", exact=True).fill("Gagnon")
    fill_date(page, "1948-05-02")
    page.get_by_label("Femme").check()
    page.get_by_label("Courriel").fill("josephine.navigateur@example.org")
    page.get_by_label("Mot de passe", exact=True).fill("password123456789")
    page.get_by_role("button", name="Créer mon compte").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    reason = "Ce mot de passe est trop courant, même avec des chiffres ou des signes ajoutés."
    link = summary.get_by_role("link", name=reason)
    expect(link).to_have_attribute("href", "#password")
    expect(page.locator("#password-error")).to_contain_text(ADVICE["fr"])
    # The password is not typed back into the page; the other fields are kept.
    expect(page.get_by_label("Mot de passe", exact=True)).to_have_value("")
    expect(page.get_by_label("Prénom")).to_have_value("Josephine")
    check_page(page, "registration refused for a guessable password")
    screenshot(page, "password-refused")
    link.click()
    expect(page.get_by_label("Mot de passe", exact=True)).to_be_focused()
