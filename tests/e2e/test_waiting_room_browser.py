"""The virtual waiting room in a browser (issue 23, item 3): an operator opens it from the console, asked first;
a citizen's search then meets the bilingual waiting page, which needs no JavaScript; when the operator closes
the room, the citizen's page, reloading itself, takes them to the search they asked for. Every page passes
axe-core and fits a phone."""

import re

import asyncpg
import pytest
from playwright.sync_api import Browser, Page, expect

from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from gateway.waiting_room import queries
from shared.db import asyncpg_dsn
from tests.e2e.clinic_staff import add_staff, log_in
from tests.e2e.conftest import Catalogue
from tests.e2e.page_checks import check_page, screenshot, sized_page_fixture, viewport_fixture  # noqa: F401

pytestmark = pytest.mark.browser

SEARCH = "/?postal_code=H1T+2H1"


async def _close_room(url: str) -> None:
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=0, max_size=1)
    try:
        await queries.set_opened(pool, False)
    finally:
        await pool.close()


def test_an_operator_opens_the_room_a_citizen_waits_and_is_let_in_when_it_closes(
    system: Supervisor, catalogue: Catalogue, browser: Browser, sized_page: Page, viewport: str
):
    page = sized_page
    gateway = system.config.url("gateway")
    operator = "file.attente@plateforme.example"
    run_sync(add_staff(system.config.database_urls["accounts"], None, operator, "operator"))
    contexts = [
        browser.new_context(locale=locale, viewport=page.viewport_size, java_script_enabled=js)
        for locale, js in (("fr-CA", True), ("en-CA", True), ("fr-CA", False))
    ]
    citizen, english, without_js = (context.new_page() for context in contexts)
    try:
        log_in(page, gateway, operator)
        if viewport == "phone":
            page.get_by_role("button", name="Menu").click()  # the console's navigation folds on a phone
        page.get_by_role("link", name="File d'attente").click()
        expect(page.get_by_role("heading", name="File d'attente virtuelle")).to_be_visible()
        expect(page.locator("#waiting-room-state")).to_contain_text("Fermée")
        check_page(page, "waiting room switch, closed")
        screenshot(page, "console-waiting-room")

        page.get_by_role("button", name="Ouvrir la file d'attente").click()
        expect(page.get_by_role("heading", name="Ouvrir la file d'attente maintenant ?")).to_be_visible()
        check_page(page, "waiting room switch, asked first")
        screenshot(page, "console-waiting-room-confirm")
        page.get_by_role("button", name="Ouvrir la file d'attente").click()
        expect(page.get_by_text("La file d'attente est ouverte.")).to_be_visible()
        expect(page.locator("#waiting-room-state")).to_contain_text("Ouverte par un opérateur")

        # A citizen's search now waits its turn, JavaScript or not: the page reloads itself.
        citizen.goto(gateway + SEARCH)
        expect(citizen.get_by_role("heading", name="Vous êtes dans la file d'attente")).to_be_visible()
        expect(citizen.locator("#waiting-room-position")).to_have_text(re.compile(r"^\d+$"))
        expect(citizen.get_by_text("gardez cette page ouverte")).to_be_visible()
        check_page(citizen, "waiting page")
        screenshot(citizen, "portal-waiting-room")
        english.goto(gateway + SEARCH + "&lang=en")
        expect(english.get_by_role("heading", name="You are in the queue")).to_be_visible()
        check_page(english, "waiting page, English")
        screenshot(english, "portal-waiting-room-en")
        # Without JavaScript the page's head refreshes it at the address asked for.
        without_js.goto(gateway + SEARCH)
        refresh = without_js.locator('meta[http-equiv="refresh"]')
        expect(refresh).to_have_attribute("content", re.compile(r"^\d+;url=/\?postal_code=H1T\+2H1$"))
        expect(citizen.locator('meta[http-equiv="refresh"]')).to_have_count(0)  # with it, checked in place

        page.get_by_role("button", name="Fermer la file d'attente").click()
        expect(page.get_by_role("heading", name="Fermer la file d'attente maintenant ?")).to_be_visible()
        page.get_by_role("button", name="Fermer la file d'attente").click()
        expect(page.get_by_text("La file d'attente est fermée.")).to_be_visible()

        # They touch nothing: the next check (every few seconds here) brings the search results, with JavaScript
        # or without.
        for visitor in (citizen, english, without_js):
            expect(visitor.get_by_text("Clinique Test Rosemont").first).to_be_visible(timeout=30_000)
            expect(visitor.locator("#waiting-room-position")).to_have_count(0)
        check_page(citizen, "search after the wait")
    finally:
        for context in contexts:
            context.close()
        # Never left open for the tests that follow on this stack.
        run_sync(_close_room(system.config.gateway_database_url))
