"""Session cookies are Secure and `__Host-` named unless a plain-HTTP dev run says otherwise (issue 18, finding 8)."""

import pytest
from fastapi import Response
from pydantic import ValidationError

from gateway.session_cookies import SessionCookies
from gateway.settings import GatewaySettings

TOKENS = {"access_token": "a", "refresh_token": "r", "expires_in": 900, "refresh_expires_in": 43_200}


def _set_cookies(response: Response) -> list[str]:
    return [value.decode() for name, value in response.raw_headers if name == b"set-cookie"]


def test_by_default_every_session_cookie_is_secure_host_only_and_http_only() -> None:
    settings = GatewaySettings(_env_file=None)
    assert settings.secure_cookies
    cookies = SessionCookies(settings.secure_cookies)
    response = Response()
    cookies.set_citizen_session(response, TOKENS)
    cookies.set_staff_session(response, TOKENS)
    cookies.clear_citizen_session(response)
    set_cookies = _set_cookies(response)
    assert len(set_cookies) == 6
    for cookie in set_cookies:
        attributes = [part.strip().lower() for part in cookie.split(";")]
        assert cookie.startswith("__Host-"), cookie
        assert {"secure", "httponly", "path=/"} <= set(attributes), cookie
        assert not any(a.startswith("domain=") for a in attributes), cookie
    # The refresh cookie lasts as long as the session on the server, not a fixed 30 days or 12 h.
    assert "Max-Age=43200" in next(c for c in set_cookies if c.startswith("__Host-staff_refresh_token="))
    assert "SameSite=strict" in next(c for c in set_cookies if c.startswith("__Host-staff_access_token="))


def test_plain_names_without_secure_only_when_asked_and_never_in_production() -> None:
    cookies = SessionCookies(GatewaySettings(_env_file=None, insecure_cookies=True).secure_cookies)
    response = Response()
    cookies.set_citizen_session(response, TOKENS)
    assert all(c.startswith(("access_token=", "refresh_token=")) for c in _set_cookies(response))
    assert not any("secure" in c.lower() for c in _set_cookies(response))
    # With a real secret key, so that only the cookies' flag is refused.
    with pytest.raises(ValidationError, match="INSECURE_COOKIES"):
        GatewaySettings(_env_file=None, environment="prod", insecure_cookies=True, secret_key="k" * 43)
