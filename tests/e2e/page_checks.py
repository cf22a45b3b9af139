"""What every page a browser test visits must satisfy: no WCAG 2.x A/AA violation that axe-core finds, and no
sideways scroll, at a desktop and at a phone size; plus screenshots for the README on demand.

A browser test imports the fixtures:

    from tests.e2e.page_checks import check_page, sized_page_fixture, viewport_fixture  # noqa: F401

then asks for `sized_page` (the `page` of tests/e2e/browser.py, at each size of VIEWPORTS: the test runs once
per size) and calls `check_page(sized_page, "what is shown")` at each page and state it reaches.
"""

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

VIEWPORTS: dict[str, tuple[int, int]] = {"desktop": (1366, 900), "phone": (390, 844)}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
TOTALS = ROOT / ".run" / "axe-totals.json"
SCREENSHOTS = ROOT / "docs" / "screenshots"


# Named apart from their fixtures: the test module that imports them takes `sized_page` and `viewport` as
# arguments without shadowing an import.
@pytest.fixture(name="viewport", params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport_fixture(request: pytest.FixtureRequest) -> str:
    """The name of a size in VIEWPORTS: a test using it (or `sized_page`) runs once per size."""
    return str(request.param)


@pytest.fixture(name="sized_page")
def sized_page_fixture(page: Page, viewport: str) -> Page:
    """The `page` of tests/e2e/browser.py (through conftest.py), sized as `viewport` names."""
    width, height = VIEWPORTS[viewport]
    page.set_viewport_size({"width": width, "height": height})
    return page


@dataclass
class Totals:
    """What the checks of this test process saw, for the note that quotes them."""

    path: Path = TOTALS
    pages: int = 0
    violations: int = 0  # (rule, page) pairs: axe's own unit, one per rule broken, whatever the number of nodes
    nodes: int = 0
    rules: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def record(self, label: str, violations: list[dict[str, Any]]) -> None:
        self.pages += 1
        self.violations += len(violations)
        for violation in violations:
            self.nodes += len(violation["nodes"])
            self.rules[violation["id"]] = self.rules.get(violation["id"], 0) + 1
        if violations:
            self.failed.append(label)
        # Rewritten at each check rather than at session end: an interrupted run still leaves its count.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(
            json.dumps(
                {
                    "updated": datetime.now(UTC).isoformat(timespec="seconds"),
                    "axe_core": _axe_version(),
                    "tags": WCAG_TAGS,
                    "pages_checked": self.pages,
                    "violations": self.violations,
                    "violating_nodes": self.nodes,
                    "by_rule": dict(sorted(self.rules.items())),
                    "pages_with_violations": self.failed,
                },
                indent=2,
            )
            + "\n"
        )


TOTALS_SO_FAR = Totals()


def _axe_version() -> str:
    with AXE.open() as source:
        return source.readline().removeprefix("/*! axe v").strip()


def viewport_name(page: Page) -> str:
    size = page.viewport_size
    if size is None:
        return "unsized"
    for name, (width, height) in VIEWPORTS.items():
        if (size["width"], size["height"]) == (width, height):
            return name
    return f"{size['width']}x{size['height']}"


def _inject_axe(page: Page) -> None:
    # The gateway's Content-Security-Policy has `script-src 'self'`: add_script_tag(path=…) inserts an inline
    # <script>, which the page refuses (and the `page` fixture fails any test whose page logged a refusal). An
    # evaluate() is run by the DevTools protocol, which the page's CSP does not govern, so axe is defined in the
    # page's main world without weakening the policy the test is checking under; axe itself needs no eval.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())


def axe_violations(page: Page) -> list[dict[str, Any]]:
    _inject_axe(page)
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
            .then(results => results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.map(String), summary: n.failureSummary}))
            })))""",
        WCAG_TAGS,
    )


def horizontal_overflow(page: Page) -> dict[str, Any] | None:
    """None when the page fits its width; else the widths and the innermost elements sticking out."""
    return page.evaluate(
        """() => {
            const width = window.innerWidth, scroll = document.documentElement.scrollWidth;
            if (scroll <= width) return null;
            const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                + [...e.classList].map(c => '.' + c).join('');
            const out = [...document.body.querySelectorAll('*')]
                .filter(e => e.getBoundingClientRect().right > width + 1);
            // The innermost ones: an outer box sticking out only because of what it holds says little.
            const innermost = out.filter(e => !out.some(o => o !== e && e.contains(o)));
            innermost.sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right);
            return {innerWidth: width, scrollWidth: scroll, widest: innermost.slice(0, 5).map(e => {
                const box = e.getBoundingClientRect();
                return {element: describe(e), left: Math.round(box.left), right: Math.round(box.right)};
            })};
        }"""
    )


def _describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        more = len(violation["nodes"]) - 3
        lines.append(
            f"  - {violation['id']} ({violation['impact']}): {violation['help']} — {targets}"
            + (f" and {more} more" if more > 0 else "")
        )
    return "\n".join(lines)


def check_page(page: Page, label: str) -> None:
    """Fails with what is wrong when axe finds a WCAG 2.0/2.1/2.2 A or AA violation or the page scrolls sideways."""
    where = f"{label} [{viewport_name(page)}] {page.url}"
    violations = axe_violations(page)
    TOTALS_SO_FAR.record(where, violations)
    problems = []
    if violations:
        problems.append(f"axe found {len(violations)} WCAG A/AA violation(s):\n{_describe_violations(violations)}")
    overflow = horizontal_overflow(page)
    if overflow is not None:
        widest = (
            "\n".join(f"  - {e['element']}: {e['left']}…{e['right']} px" for e in overflow["widest"])
            or "  (no element of the body sticks out: look at margins or html/body widths)"
        )
        problems.append(
            f"the page scrolls sideways: {overflow['scrollWidth']} px wide in a {overflow['innerWidth']} px window;"
            f" widest elements:\n{widest}"
        )
    assert not problems, f"{where}:\n" + "\n".join(problems)


def screenshot(page: Page, name: str) -> Path | None:
    """docs/screenshots/<name>-<viewport>.png, only with CLINIC_SCREENSHOTS=1: other runs leave the committed ones."""
    if os.environ.get("CLINIC_SCREENSHOTS") != "1":
        return None
    path = SCREENSHOTS / f"{name}-{viewport_name(page)}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
