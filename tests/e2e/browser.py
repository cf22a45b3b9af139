"""Playwright fixtures on Debian's chromium: test tools cannot download browsers on these machines."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("CLINIC_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# Per module, not per session: Playwright's sync API keeps an event loop running in the main thread while
# it is open, and the async tests collected after the browser tests (replicas, verify) need that thread free.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (`apt-get install -y chromium`; `make test` does)"
        )
    try:
        playwright = sync_playwright().start()
    except Exception as error:  # noqa: BLE001 - any failure to start the driver is reported the same way
        pytest.fail(
            f"Playwright's driver did not start ({error}). Its node binary needs libatomic.so.1: install Debian's "
            "libatomic1 (`apt-get install -y libatomic1`; `make test` does). The driver's own error, if it wrote "
            "one, is in the captured stderr.",
            pytrace=False,
        )
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
    except Exception as error:  # noqa: BLE001 - reported with the browser it tried to start
        playwright.stop()
        pytest.fail(f"Playwright could not start {CHROMIUM}: {error}", pytrace=False)
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page; the test fails if the Content-Security-Policy refused anything on any page it opened."""
    context = browser.new_context(locale="fr-CA")
    page = context.new_page()
    page.set_default_timeout(10_000)
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield page
    context.close()
    assert not refused, f"the page broke its Content-Security-Policy: {refused}"
