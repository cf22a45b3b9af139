"""The page checks catch what they claim to: an axe violation, a sideways scroll, under the gateway's own CSP."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route

from gateway.security_headers import CONTENT_SECURITY_POLICY
from tests.e2e import page_checks
from tests.e2e.page_checks import (  # noqa: F401 - the fixtures
    VIEWPORTS,
    Totals,
    check_page,
    screenshot,
    sized_page_fixture,
    viewport_fixture,
)

pytestmark = pytest.mark.browser

GOOD = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Bonjour</title>'
    '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
    "<body><main><h1>Bonjour</h1><p>Une page sans reproche.</p>"
    '<form><label for="q">Recherche</label> <input id="q" name="q"></form></main></body></html>'
)
BAD = '<html><body><img src="x"><div id="large" style="width:2000px">x</div></body></html>'


@pytest.fixture
def totals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Totals:
    """A count of its own: the deliberate violations here never reach the run's .run/axe-totals.json."""
    mine = Totals(path=tmp_path / "axe-totals.json")
    monkeypatch.setattr(page_checks, "TOTALS_SO_FAR", mine)
    return mine


def test_a_page_with_a_violation_and_a_sideways_scroll_fails(sized_page: Page, viewport: str, totals: Totals):
    sized_page.set_content(BAD)
    with pytest.raises(AssertionError) as failure:
        check_page(sized_page, "bad page")
    message = str(failure.value)
    assert f"bad page [{viewport}]" in message
    assert "image-alt (critical)" in message
    assert "html-has-lang" in message
    assert f"scrolls sideways: 2008 px wide in a {VIEWPORTS[viewport][0]} px window" in message
    assert "div#large" in message
    recorded = json.loads(totals.path.read_text())
    assert recorded["pages_checked"] == 1
    assert recorded["violations"] >= 2
    assert recorded["by_rule"]["image-alt"] == 1
    assert recorded["pages_with_violations"] == [f"bad page [{viewport}] about:blank"]


def test_a_wide_element_alone_fails(sized_page: Page, totals: Totals):
    sized_page.set_content(GOOD.replace("</main>", '<pre style="width:1400px">x</pre></main>'))
    with pytest.raises(AssertionError, match=r"scrolls sideways(.|\n)*pre: 8…1408 px"):
        check_page(sized_page, "wide")
    assert totals.violations == 0


def test_a_good_page_passes_under_the_gateways_content_security_policy(sized_page: Page, viewport: str, totals: Totals):
    # Served with the gateway's own policy: axe must get in without the page logging a refusal, which the
    # `page` fixture would fail at teardown.
    def serve(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html",
            body=GOOD,
            headers={"content-security-policy": CONTENT_SECURITY_POLICY},
        )

    sized_page.route("http://clinic.test/**", serve)
    sized_page.goto("http://clinic.test/")
    assert sized_page.evaluate("() => typeof window.axe") == "undefined"
    check_page(sized_page, "good page")
    assert sized_page.evaluate("() => typeof window.axe") == "object"
    check_page(sized_page, "good page again")  # axe already there: not injected twice
    recorded = json.loads(totals.path.read_text())
    assert (recorded["pages_checked"], recorded["violations"]) == (2, 0)
    assert recorded["axe_core"] == "4.14.1"


def test_screenshots_only_when_asked(sized_page: Page, viewport: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(page_checks, "SCREENSHOTS", tmp_path)
    sized_page.set_content(GOOD)
    monkeypatch.delenv("CLINIC_SCREENSHOTS", raising=False)
    assert screenshot(sized_page, "bonjour") is None
    monkeypatch.setenv("CLINIC_SCREENSHOTS", "1")
    assert screenshot(sized_page, "bonjour") == tmp_path / f"bonjour-{viewport}.png"
    assert [p.name for p in tmp_path.iterdir()] == [f"bonjour-{viewport}.png"]
