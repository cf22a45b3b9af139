"""Shared steps of the "Who read my record" tests: citizens booked at a clinic, its staff reading them, and the
page read back per person (tests/e2e/test_record_access.py and its browser test)."""

import re
import time
from html import unescape
from typing import Any

import httpx

from tests.e2e.accounts_flow import PASSWORD
from tests.e2e.forms import submit

SECTION = re.compile(r'<section class="record-access-person"[^>]*>(.*?)</section>', re.S)
HEADING = re.compile(r"<h2[^>]*>(.*?)(?:<span|</h2>)", re.S)
ROW = re.compile(r'<tr class="govuk-table__row record-access-entry" data-action="([^"]+)">(.*?)</tr>', re.S)
BY = re.compile(r'class="govuk-table__cell by"[^>]*>([^<]*)<')


def page_session(client: httpx.Client, email: str) -> None:
    page = client.get("/account/login")
    signed_in = submit(client, page, "/account/login", {"identifier": email, "password": PASSWORD, "next_url": ""})
    assert signed_in.status_code in (200, 303), signed_in.text


def accesses(client: httpx.Client) -> dict[str, list[tuple[str, str]]]:
    """The page as person name -> [(action, role shown)], newest first."""
    page = client.get("/account/record-access")
    assert page.status_code == 200, page.text
    shown: dict[str, list[tuple[str, str]]] = {}
    for section in SECTION.findall(page.text):
        name = unescape(HEADING.search(section).group(1)).strip()  # type: ignore[union-attr]
        shown[name] = [(action, unescape(BY.search(row).group(1)).strip()) for action, row in ROW.findall(section)]  # type: ignore[union-attr]
    return shown


def wait_for(client: httpx.Client, predicate: Any, timeout: float = 15) -> dict[str, list[tuple[str, str]]]:
    """The page once `predicate(page)` holds (the audit rows come through the bus), or fails with the last seen."""
    deadline = time.monotonic() + timeout
    while True:
        shown = accesses(client)
        if predicate(shown):
            return shown
        assert time.monotonic() < deadline, shown
        time.sleep(0.2)
