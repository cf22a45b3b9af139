"""The console's sign-in pages (gateway/console_sign_in.py) on the app itself, accounts replaced by a stand-in:
the challenge travels in a cookie of sign-in's own, never in a URL; the enrolment draws its QR code here; a
wrong code is the form again, never a 500."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.console_sign_in import FactorCookie, FactorStep, destination, grouped, qr_code
from gateway.csrf import FORM_FIELD
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway.upstreams import Accounts, UpstreamRefusal

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
URI = f"otpauth://totp/Rendez-vous%20sant%C3%A9:x%40clinique.example?secret={SECRET}&issuer=Rendez-vous%20sant%C3%A9"
TOKENS = {
    "access_token": "a",
    "refresh_token": "r",
    "token_type": "bearer",
    "expires_in": 900,
    "refresh_expires_in": 43200,
    "establishment_id": "6f1c2d3e-0000-4000-8000-000000000001",
    "roles": [{"establishment_id": "6f1c2d3e-0000-4000-8000-000000000001", "role": "clerk"}],
    "operator": False,
}


def _wrong_code(*_: Any) -> Any:
    message = {"fr": "Code incorrect. Il vous reste 4 essais.", "en": "Wrong code. 4 tries left."}
    raise UpstreamRefusal(422, [{"field": "code", "code": "wrong_code", "message": message}])


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    calls: list[tuple[str, Any]] = []

    async def log_in(self: Accounts, email: str, password: str) -> dict[str, Any]:
        if password != "bon mot de passe":
            message = {"fr": "Courriel ou mot de passe incorrect.", "en": "Wrong email or password."}
            raise UpstreamRefusal(401, [{"field": None, "code": "bad_credentials", "message": message}])
        enrol = email.startswith("new")
        return {
            "next": "enrol" if enrol else "totp",
            "challenge": "challenge-123",
            "expires_in": 300,
            "enrolment": {"secret": SECRET, "otpauth_uri": URI} if enrol else None,
        }

    async def second_factor(self: Accounts, challenge: str, code: str) -> dict[str, Any]:
        calls.append(("totp", (challenge, code)))
        if code == "000000":
            _wrong_code()
        if code == "999999":
            message = {"fr": "La connexion a expiré.", "en": "Signing in expired."}
            raise UpstreamRefusal(401, [{"field": None, "code": "factor_challenge_expired", "message": message}])
        return TOKENS

    async def enrol(self: Accounts, challenge: str, code: str) -> dict[str, Any]:
        calls.append(("enrol", (challenge, code)))
        if code == "000000":
            _wrong_code()
        return TOKENS | {"recovery_codes": [f"abcde-{n:05d}" for n in range(10)]}

    monkeypatch.setattr(Accounts, "staff_log_in", log_in)
    monkeypatch.setattr(Accounts, "staff_second_factor", second_factor)
    monkeypatch.setattr(Accounts, "staff_enrol", enrol)
    client = TestClient(create_app(GatewaySettings(insecure_cookies=True)), base_url="http://console.example")
    client.headers["origin"] = "http://console.example"
    client.calls = calls  # type: ignore[attr-defined]
    return client


def _post(client: TestClient, path: str, **form: str) -> Any:
    if "csrf" not in client.cookies:
        client.get("/admin/login")
    return client.post(path, data={**form, FORM_FIELD: client.cookies["csrf"]}, follow_redirects=False)


def test_the_password_leads_to_the_code_with_the_challenge_in_a_strict_cookie_not_the_url(client: TestClient):
    answer = _post(
        client, "/admin/login", email="x@clinique.example", password="bon mot de passe", next="/admin/legend"
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/login/code"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("staff_factor=")
    for flag in ("HttpOnly", "Path=/", "SameSite=strict", "Max-Age=300"):
        assert flag in cookie
    assert "challenge-123" not in answer.headers["location"]
    page = client.get("/admin/login/code")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.text
    assert 'inputmode="numeric"' in page.text
    assert "challenge-123" not in page.text
    signed_in = _post(client, "/admin/login/code", code="123 456", use="app")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/admin/legend"  # the page asked for
    assert client.calls == [("totp", ("challenge-123", "123456"))]  # type: ignore[attr-defined]
    cookies = signed_in.headers.get_list("set-cookie")
    assert any(c.startswith("staff_access_token=") for c in cookies)
    assert any(c.startswith('staff_factor=""') or c.startswith("staff_factor=;") for c in cookies)


def test_a_wrong_or_missing_code_is_the_form_again_with_its_message(client: TestClient):
    _post(client, "/admin/login", email="x@clinique.example", password="bon mot de passe")
    wrong = _post(client, "/admin/login/code", code="000000", use="app")
    assert wrong.status_code == 422
    assert "Il vous reste 4 essais" in wrong.text
    assert 'href="#code"' in wrong.text  # the error summary links to the field
    empty = _post(client, "/admin/login/code", code="", use="app")
    assert empty.status_code == 422
    assert "Entrez le code à 6 chiffres" in empty.text
    short = _post(client, "/admin/login/code", code="12345", use="app")
    assert short.status_code == 422
    recovery = _post(client, "/admin/login/code", recovery_code="", use="recovery")
    assert recovery.status_code == 422
    assert 'href="#recovery_code"' in recovery.text
    assert client.calls == [("totp", ("challenge-123", "000000"))]  # type: ignore[attr-defined]


def test_a_dead_challenge_sends_back_to_the_password_saying_why(client: TestClient):
    _post(client, "/admin/login", email="x@clinique.example", password="bon mot de passe")
    dead = _post(client, "/admin/login/code", code="999999", use="app")
    assert dead.status_code == 401
    assert "La connexion a expiré." in dead.text
    assert 'action="/admin/login"' in dead.text
    client.cookies.clear()
    assert client.get("/admin/login/code", follow_redirects=False).headers["location"] == "/admin/login"


def test_wrong_credentials_stay_on_the_password_form(client: TestClient):
    answer = _post(client, "/admin/login", email="x@clinique.example", password="mauvais")
    assert answer.status_code == 401
    assert "Courriel ou mot de passe incorrect." in answer.text
    assert "staff_factor" not in answer.headers.get("set-cookie", "")


def test_enrolment_draws_the_qr_code_and_the_secret_by_four_then_shows_the_recovery_codes_once(client: TestClient):
    answer = _post(client, "/admin/login", email="new@clinique.example", password="bon mot de passe")
    assert answer.headers["location"] == "/admin/login/enrol"
    page = client.get("/admin/login/enrol")
    assert '<svg role="img"' in page.text
    assert "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP" in page.text
    assert "<img" not in page.text.split("<main", 1)[1]  # drawn inline, no image fetched from anywhere
    wrong = _post(client, "/admin/login/enrol", code="000000")
    assert wrong.status_code == 422
    assert '<svg role="img"' in wrong.text  # the QR code again, to try once more
    done = _post(client, "/admin/login/enrol", code="654321")
    assert done.status_code == 200
    assert len(re.findall(r"<code>abcde-\d{5}</code>", done.text)) == 10
    assert any(c.startswith("staff_access_token=") for c in done.headers.get_list("set-cookie"))


def test_the_factor_cookie_round_trips_and_refuses_what_it_did_not_write():
    from starlette.requests import Request
    from starlette.responses import Response

    cookie = FactorCookie(secure=True)
    assert cookie.name == "__Host-staff_factor"
    response = Response()
    cookie.write(response, FactorStep("totp", "c", "https://evil.example/", "x@y.example"), 10_000)
    header = response.headers["set-cookie"]
    assert "Secure" in header
    assert "Max-Age=900" in header
    value = header.split(";", 1)[0].split("=", 1)[1]

    def request(raw: str) -> Request:
        return Request({"type": "http", "headers": [(b"cookie", f"{cookie.name}={raw}".encode())]})

    step = cookie.read(request(value), "totp")
    assert step is not None
    assert step.challenge == "c"
    assert step.back_to == "/admin"  # never another site
    assert cookie.read(request(value), "enrol") is None
    assert cookie.read(request("not-base64!"), "totp") is None


def test_where_a_new_session_goes():
    one = {"establishment_id": "e1", "roles": [{"establishment_id": "e1", "role": "clerk"}], "operator": False}
    several = {"establishment_id": None, "roles": [{}, {}], "operator": False}
    operator = {"establishment_id": None, "roles": [], "operator": True}
    assert destination(one, "/admin/schedules") == "/admin/schedules"
    assert destination(several, "/admin/schedules") == "/admin/establishment?next=/admin/schedules"
    assert destination(operator, "/admin") == "/admin/operator"
    assert destination(operator, "/admin/operator/staff") == "/admin/operator/staff"


def test_the_qr_code_is_inline_svg_and_the_secret_groups_by_four():
    svg = str(qr_code(URI, 'Code "QR"'))
    assert svg.startswith('<svg role="img" aria-label="Code &#34;QR&#34;"')
    assert "viewBox=" in svg
    assert grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"


def test_the_second_step_reads_in_english_too(client: TestClient):
    client.cookies.set("lang", "en")
    _post(client, "/admin/login", email="new@clinique.example", password="bon mot de passe")
    enrol = client.get("/admin/login/enrol")
    assert "Protect your account with a second factor" in enrol.text
    assert 'aria-label="QR code to scan with the authenticator app"' in enrol.text
    wrong = _post(client, "/admin/login/enrol", code="")
    assert "Enter the 6-digit code your app shows." in wrong.text
    assert "Il y a un problème" not in wrong.text
