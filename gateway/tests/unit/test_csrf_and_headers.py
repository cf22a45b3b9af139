"""The gateway's CSRF guard and security headers, on the app itself (no upstream is called)."""

import uuid

from fastapi.testclient import TestClient

from devstack.testing.tokens import TEST_PUBLIC_KEY, access_token
from gateway.csrf import FORM_FIELD, same_origin
from gateway.main import create_app
from gateway.settings import GatewaySettings


def _client(insecure: bool) -> TestClient:
    app = create_app(GatewaySettings(insecure_cookies=insecure))
    return TestClient(app, base_url="https://portail.example")


def test_cookies_are_secure_and_host_prefixed_unless_the_dev_setting_says_otherwise():
    page = _client(insecure=False).get("/account/login")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-csrf=")
    for flag in ("Secure", "HttpOnly", "Path=/"):
        assert flag in cookie
    assert "Domain" not in cookie
    assert page.headers["strict-transport-security"].startswith("max-age=")
    dev = _client(insecure=True).get("/account/login")
    assert dev.headers["set-cookie"].startswith("csrf=")
    assert "Secure" not in dev.headers["set-cookie"]


def test_every_answer_carries_the_security_headers_and_pages_are_never_cached():
    client = _client(insecure=True)
    for path in ("/", "/account/login", "/admin/login", "/no/such/page", "/api/nothing-here"):
        answer = client.get(path)
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["cache-control"] == "no-store", path
    assert client.get("/static/site.css").headers.get("cache-control") != "no-store"


def test_a_form_needs_this_origin_and_the_token_of_its_cookie():
    client = _client(insecure=True)
    page = client.get("/account/login")
    token = client.cookies["csrf"]
    assert f'name="{FORM_FIELD}" value="{token}"' in page.text
    form = {"identifier": "x@example.org", "password": "p", FORM_FIELD: token}
    own = {"origin": "https://portail.example"}
    assert client.post("/account/login", data=form, headers={"origin": "http://127.0.0.1:9"}).status_code == 403
    assert client.post("/account/login", data=form, headers={"origin": "null"}).status_code == 403
    assert client.post("/account/login", data=form).status_code == 403  # neither Origin nor Referer
    assert client.post("/account/login", data={**form, FORM_FIELD: "x" * 43}, headers=own).status_code == 403
    refused = client.post("/account/login", data={**form, FORM_FIELD: ""}, headers=own)
    assert refused.status_code == 403
    assert "Rechargez la page" in refused.text
    assert "Reload the page" in refused.text


def test_cookie_authenticated_api_calls_must_come_from_this_origin_bearer_ones_need_not():
    client = _client(insecure=True)
    client.cookies.set("access_token", "whatever")
    refused = client.patch("/api/me", json={"first_name": "X"}, headers={"origin": "http://127.0.0.1:9"})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "foreign_origin"
    client.cookies.clear()
    bearer = client.patch(
        "/api/me", json={}, headers={"origin": "http://127.0.0.1:9", "authorization": "Bearer not-a-token"}
    )
    assert bearer.status_code == 401  # past the guard: the token itself is what is refused


def test_origin_falls_back_to_the_referer_and_accepts_configured_public_origins():
    host = {b"host": "portail.example"}
    assert same_origin({**host, b"referer": "https://portail.example/account"}, frozenset())
    assert not same_origin({**host, b"referer": "https://evil.example/account"}, frozenset())
    assert same_origin({**host, b"origin": "https://rendez-vous.example"}, frozenset({"https://rendez-vous.example"}))


def test_a_token_that_is_not_ascii_is_refused_not_a_crash():
    client = _client(insecure=True)
    client.get("/account/login")
    form = {"identifier": "x@example.org", "password": "p", FORM_FIELD: "é" * 43}
    assert client.post("/account/login", data=form, headers={"origin": "https://portail.example"}).status_code == 403


def test_the_portal_registration_form_refuses_a_browser_signed_into_the_console():
    client = TestClient(create_app(GatewaySettings(insecure_cookies=True, jwt_public_key=TEST_PUBLIC_KEY)))
    client.get("/account/register")
    staff = access_token(uuid.uuid4(), "staff", extra={"est": str(uuid.uuid4()), "role": "clerk"})
    client.cookies.set("staff_access_token", staff)
    form = {"first_name": "Julie", "last_name": "Roy", "email": "julie@example.org", "password": "x" * 20}
    refused = client.post(
        "/account/register",
        data={**form, FORM_FIELD: client.cookies["csrf"]},
        headers={"origin": "http://testserver"},
    )
    assert refused.status_code == 403
    assert "membre du personnel" in refused.text
