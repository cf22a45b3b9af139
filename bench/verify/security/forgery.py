"""Forged requests and the headers that stop the browser-side attacks, on every page of the portal and console.

Every state-changing page (each POST route of the gateway outside /api) is posted by a signed-in citizen's
and a signed-in clerk's browser, as another origin would make it post: a cross-origin page, a same-site page
(another port of the same host, whose requests carry the SameSite cookies), a page that strips its Origin
("null"), and this origin without the form's token or with another one. The attack succeeds when the guard
does not refuse it. A control posts the same form with this origin and its token: it must pass the guard.
Every page (each GET route outside /api) is then read for the security headers.
"""

import re
import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient

from bench.verify.environment import VerifyEnvironment
from devstack.testing.apps import api_routes
from gateway.csrf import FORM_FIELD
from gateway.main import create_app
from gateway.settings import GatewaySettings
from tests.e2e.accounts_flow import PASSWORD
from tests.e2e.clinic_staff import STAFF_PASSWORD, console_code

GUARD_CODES = ("Rechargez la page", "ne vient pas d'une page de ce site")
REQUIRED_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}
_PARAM = re.compile(r"\{[^}]+\}")


def _pages(method: str) -> list[str]:
    """The gateway's own page routes of a method, with made-up ids in their parameters."""
    app = create_app(GatewaySettings(insecure_cookies=True))
    paths = {
        route.path for route in api_routes(app.routes) if method in route.methods and not route.path.startswith("/api")
    }
    return sorted(_PARAM.sub(lambda _: str(uuid.uuid4()), path) for path in paths)


def _guard_refused(answer: httpx.Response) -> bool:
    return answer.status_code == 403 and any(marker in answer.text for marker in GUARD_CODES)


def _signed_in_browser(env: VerifyEnvironment, login_page: str, fields: dict[str, str]) -> httpx.Client:
    browser = httpx.Client(base_url=env.gateway, timeout=15, follow_redirects=False)
    page = browser.get(login_page)
    token = browser.cookies.get("__Host-csrf") or browser.cookies.get("csrf") or ""
    answer = browser.post(login_page, data={**fields, FORM_FIELD: token}, headers={"origin": env.gateway})
    assert answer.status_code == 303, f"{login_page}: {answer.status_code} {page.status_code}"
    if login_page == "/admin/login":  # staff: the second factor's code, then signed in
        console_code(browser, fields["email"])
    return browser


def _forgeries(env: VerifyEnvironment, token: str) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """name -> (headers, extra form fields) of each way another page would post."""
    port = int(env.gateway.rsplit(":", 1)[1])
    return {
        "cross-origin page": ({"origin": "https://attacker.example"}, {FORM_FIELD: token}),
        "same-site page": ({"origin": f"http://127.0.0.1:{port + 1}"}, {FORM_FIELD: token}),
        "origin stripped": ({"origin": "null"}, {FORM_FIELD: token}),
        "no origin nor referer": ({}, {FORM_FIELD: token}),
        "foreign referer": ({"referer": "https://attacker.example/x"}, {FORM_FIELD: token}),
        "this origin, no token": ({"origin": env.gateway}, {}),
        "this origin, another token": ({"origin": env.gateway}, {FORM_FIELD: "A" * 43}),
    }


def _secure_mode_cookies() -> list[str]:
    """The cookies a production gateway (no dev setting) sets, read in process over https."""
    client = TestClient(create_app(GatewaySettings()), base_url="https://portail.example")
    return client.get("/account/login").headers.get_list("set-cookie")


def probe(env: VerifyEnvironment) -> dict[str, Any]:
    citizen = env.new_citizen()
    clinic = env.clinics[0]
    browsers = {
        "citizen": _signed_in_browser(env, "/account/login", {"identifier": citizen.email, "password": PASSWORD}),
        "clerk": _signed_in_browser(env, "/admin/login", {"email": clinic.clerk_email, "password": STAFF_PASSWORD}),
    }
    forms, pages = _pages("POST"), _pages("GET")
    got_through: list[str] = []
    controls_refused: list[str] = []
    attempts = 0
    for who, browser in browsers.items():
        token = browser.cookies.get("__Host-csrf") or browser.cookies.get("csrf") or ""
        for action in forms:
            for name, (headers, fields) in _forgeries(env, token).items():
                attempts += 1
                answer = browser.post(action, data={"day": "2030-01-01", **fields}, headers=headers)
                if not _guard_refused(answer):
                    got_through.append(f"{who}: {name}: POST {action} -> {answer.status_code}")
            control = browser.post(action, data={FORM_FIELD: token}, headers={"origin": env.gateway})
            if _guard_refused(control):
                controls_refused.append(f"{who}: POST {action} with this origin and its token -> refused")
    missing_headers: list[str] = []
    for path in pages:
        answer = browsers["citizen"].get(path)
        for header, expected in REQUIRED_HEADERS.items():
            if expected not in answer.headers.get(header, ""):
                missing_headers.append(f"GET {path} -> {answer.status_code}: {header} lacks {expected!r}")
    unsafe_cookies = [
        cookie
        for cookie in _secure_mode_cookies()
        if not (cookie.startswith("__Host-") and "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie)
    ]
    docs = {path: httpx.get(env.gateway + path).status_code for path in ("/docs", "/redoc", "/openapi.json")}
    served_docs = [f"{path} -> {status}" for path, status in docs.items() if status != 404]
    for browser in browsers.values():
        browser.close()
    return {
        "passed": attempts > 0
        and not (got_through or controls_refused or missing_headers or unsafe_cookies or served_docs),
        "forms": len(forms),
        "pages": len(pages),
        "forgeries_tried": attempts,
        "got_through": got_through[:50],
        "controls_refused": controls_refused,
        "missing_headers": missing_headers[:50],
        "cookies_without_secure_host_prefix": unsafe_cookies,
        "api_docs_served": served_docs,
    }
