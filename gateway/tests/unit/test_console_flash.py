"""The console's flash (gateway/console_flash.py): the rows a validation turns green, as appointments draws them
once the event arrives, and a cookie only the session that wrote it can read back, for a minute."""

import time
from http.cookies import SimpleCookie
from typing import Any

import pytest
from fastapi import Request, Response

from gateway.auth import Principal
from gateway.console_flash import MAX_AGE_SECONDS, Flash, FlashCookie, Validated, shown_validated

HOLDER = "8f5e0c1e-0000-4000-8000-000000000001"
CHILD = "8f5e0c1e-0000-4000-8000-000000000002"
OTHER = "8f5e0c1e-0000-4000-8000-000000000003"
ROW = "8f5e0c1e-0000-4000-8000-0000000000aa"


def _entry(account: str | None, person: str | None, profile: str = "red", card: str = "red") -> Any:
    return {"id": ROW, "account_id": account, "person_id": person, "profile_icon": profile, "card_icon": card}


def _icons(entry: Any) -> tuple[str, str]:
    return entry["profile_icon"], entry["card_icon"]


def test_an_identity_turns_the_holders_profile_green_and_the_card_of_their_own_bookings():
    identity = [Validated(HOLDER)]
    assert _icons(shown_validated(_entry(HOLDER, HOLDER), identity)) == ("green", "green")
    assert _icons(shown_validated(_entry(HOLDER, None), identity)) == ("green", "green")
    assert _icons(shown_validated(_entry(HOLDER, CHILD), identity)) == ("green", "red")  # the association is apart
    assert _icons(shown_validated(_entry(OTHER, OTHER), identity)) == ("red", "red")
    assert _icons(shown_validated(_entry(None, None, "grey", "grey"), identity)) == ("grey", "grey")


def test_an_association_turns_that_patients_card_green_only():
    association = [Validated(HOLDER, CHILD)]
    assert _icons(shown_validated(_entry(HOLDER, CHILD), association)) == ("red", "green")
    assert _icons(shown_validated(_entry(HOLDER, HOLDER), association)) == ("red", "red")
    assert _icons(shown_validated(_entry(OTHER, CHILD), association)) == ("red", "red")
    both = [Validated(HOLDER), Validated(HOLDER, CHILD)]
    assert _icons(shown_validated(_entry(HOLDER, CHILD), both)) == ("green", "green")
    already = _entry(HOLDER, CHILD, "green", "green")  # the event came first: nothing turns back
    assert _icons(shown_validated(already, [])) == ("green", "green")


def _staff(token: str) -> Principal:
    return Principal("staff-1", "staff", "est-1", "clerk", token)


def _written(cookie: FlashCookie, staff: Principal, flash: Flash) -> str:
    response = Response()
    cookie.write(response, staff, flash)
    header = response.headers["set-cookie"]
    assert "HttpOnly" in header
    assert "Path=/admin" in header
    assert "SameSite=strict" in header
    assert f"Max-Age={MAX_AGE_SECONDS}" in header
    return SimpleCookie(header)[cookie.name].value


def _read(cookie: FlashCookie, staff: Principal, value: str) -> Flash | None:
    cookies = [(b"cookie", f"{cookie.name}={value}".encode())]
    scope = {"type": "http", "method": "GET", "path": "/admin", "headers": cookies}
    return cookie.read(Request(scope), staff)


def test_the_flash_reads_back_in_its_own_session_only():
    cookie = FlashCookie(secure=False)
    flash = Flash("association", ROW, (Validated(HOLDER), Validated(HOLDER, CHILD)))
    value = _written(cookie, _staff("token-a"), flash)
    assert _read(cookie, _staff("token-a"), value) == flash
    assert _read(cookie, _staff("token-b"), value) is None  # another session's
    assert _read(cookie, _staff(""), value) is None
    payload, _, signature = value.partition(".")
    assert _read(cookie, _staff("token-a"), payload + "." + signature[::-1]) is None
    assert _read(cookie, _staff("token-a"), payload) is None


def test_the_flash_lasts_a_minute(monkeypatch: pytest.MonkeyPatch):
    cookie = FlashCookie(secure=False)
    value = _written(cookie, _staff("token-a"), Flash("identity", ROW, (Validated(HOLDER),)))
    later = time.time() + MAX_AGE_SECONDS + 1
    monkeypatch.setattr("gateway.console_flash.time.time", lambda: later)
    assert _read(cookie, _staff("token-a"), value) is None


def test_the_flash_cookie_is_secure_outside_plain_http_dev_runs():
    cookie = FlashCookie(secure=True)
    response = Response()
    cookie.write(response, _staff("t"), Flash("identity", ROW, (Validated(HOLDER),)))
    assert response.headers["set-cookie"].startswith("__Secure-console_flash=")
    assert "Secure" in response.headers["set-cookie"]
