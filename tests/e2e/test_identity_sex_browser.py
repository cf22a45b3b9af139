"""The identity window pre-selects the holder's sex as they entered it in their account (issue 19), at a desk
(1366x900) and on a phone (390x844), with axe-core and no sideways scroll: Homme for a man's own booking, Femme
for a woman's. For a child's booking the window identifies the holder, so the child's sex is not pre-selected; nor
is X, which the validation API does not take: the clerk chooses from the card, and a window sent without a choice
says so."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import active_account
from tests.e2e.clinic_staff import add_staff, log_in, slot_soon
from tests.e2e.conftest import Catalogue
from tests.e2e.page_checks import check_page, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser
CLERK = "accueil.sexe@rosemont.example"


def _book(client: httpx.Client, auth: dict[str, str], slot: str, person_id: str | None = None) -> str:
    body = {"slot_id": slot} | ({"person_id": person_id} if person_id else {})
    booked = client.post("/api/my/appointments", json=body, headers=auth)
    assert booked.status_code == 201, booked.text
    return str(booked.json()["id"])


def _open_identity(page: Page, gateway: str, appointment_id: str, day: str) -> None:
    page.goto(f"{gateway}/admin/appointments/{appointment_id}/identity?day={day}")
    # The patient's, or the account holder's when the appointment is for someone else on the account.
    expect(page.get_by_role("heading", name=re.compile("^Confirmation de l'identité du"))).to_be_visible()


def test_the_identity_window_pre_selects_the_holders_sex(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink, sized_page: Page
):
    page = sized_page
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, CLERK, "clerk"))
    # Three seats a slot: two slots at the same time hold the four bookings.
    first, second = (run_sync(slot_soon(urls["appointments"], catalogue.service_id)) for _ in range(2))
    gateway = system.config.url("gateway")
    with httpx.Client(base_url=gateway, timeout=10) as client:
        man = active_account(client, mail_sink, "homme.sexe@example.org", first_name="Paul", sex="M")
        woman = active_account(client, mail_sink, "femme.sexe@example.org", first_name="Julie", sex="F")
        other = active_account(client, mail_sink, "x.sexe@example.org", first_name="Alex", sex="X")
        child = client.post(
            "/api/me/dependants",
            json={"first_name": "Léo", "last_name": "Testeur", "birth_date": "2018-05-05", "sex": "M"},
            headers=woman,
        ).json()
        his = _book(client, man, str(first.id))
        hers = _book(client, woman, str(first.id))
        childs = _book(client, woman, str(second.id), child["id"])
        theirs = _book(client, other, str(second.id))
    day = first.day.isoformat()
    log_in(page, gateway, CLERK)

    _open_identity(page, gateway, his, day)
    expect(page.get_by_label("Prénom")).to_have_value("Paul")
    expect(page.get_by_label("Homme")).to_be_checked()
    expect(page.get_by_label("Femme")).not_to_be_checked()
    check_page(page, "identity window, a man's own booking")

    _open_identity(page, gateway, hers, day)
    expect(page.get_by_label("Prénom")).to_have_value("Julie")
    expect(page.get_by_label("Femme")).to_be_checked()
    expect(page.get_by_label("Homme")).not_to_be_checked()
    check_page(page, "identity window, a woman's own booking")

    # A child's booking: the window identifies the holder (Julie); the boy's sex is not hers.
    _open_identity(page, gateway, childs, day)
    expect(page.get_by_label("Prénom")).to_have_value("Julie")
    expect(page.get_by_label("Homme")).not_to_be_checked()
    expect(page.get_by_label("Femme")).not_to_be_checked()

    # X is not one the validation API takes: nothing is pre-selected, and the clerk must choose.
    _open_identity(page, gateway, theirs, day)
    expect(page.get_by_label("Homme")).not_to_be_checked()
    expect(page.get_by_label("Femme")).not_to_be_checked()
    page.get_by_label("Jour").fill("28")
    page.get_by_label("Mois").fill("12")
    page.get_by_label("Année").fill("1954")
    page.get_by_label("Je confirme avoir validé l'identité du patient").check()
    page.get_by_role("button", name="Je confirme l'identité du patient").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator("#sex-error")).to_be_visible()
    check_page(page, "identity window, no sex chosen")
