"""Posting the portal's HTML forms as a browser does: the page's cookies, its Origin and its CSRF field."""

import re
from typing import Any

import httpx

from gateway.csrf import FORM_FIELD

_FIELD = re.compile(rf'name="{FORM_FIELD}" value="([^"]+)"')


def submit(client: httpx.Client, page: httpx.Response, action: str, data: dict[str, Any]) -> httpx.Response:
    """Posts `data` to `action` from `page` (a response of `client`, whose cookie jar holds the CSRF cookie)."""
    found = _FIELD.search(page.text)
    assert found, f"no {FORM_FIELD} field on {page.url}"
    origin = f"{page.url.scheme}://{page.url.netloc.decode()}"
    return client.post(action, data={**data, FORM_FIELD: found.group(1)}, headers={"origin": origin})
