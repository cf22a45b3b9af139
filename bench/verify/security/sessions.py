"""Sessions that should be over, used as someone who kept a copy of the tokens would (issue 18, finding 9):

- the access and refresh tokens of a session after its logout, after a password change (every session of the
  account), after the account's deletion: each access token must be refused within a few seconds (the gateway
  hears SessionsRevoked; allowed: a short poll while the event travels), each refresh token at once;
- a refresh token presented a second time (a stolen copy): refused, and so is the token the first use got,
  and the access tokens of that session;
- the cookies (finding 8): the verify stack serves plain HTTP on loopback with GATEWAY_INSECURE_COOKIES=true,
  as `make run` does, since neither browsers nor HTTP clients return Secure cookies over plain HTTP. So this
  starts one more gateway process of the same stack with the default (production) setting and checks every
  Set-Cookie its login, refresh and logout answers send: `__Host-` name, Secure, HttpOnly, SameSite,
  Path=/, no Domain.
"""

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.verify.environment import VerifyEnvironment
from devstack.supervisor import ROOT, http_ok
from devstack.testing.fixtures import free_port, run_sync
from tests.e2e.accounts_flow import PASSWORD, code_from_mail
from tests.e2e.clinic_staff import STAFF_PASSWORD, add_staff, current_code

# Within this, an access token of an ended session must be refused (the event's trip from accounts' outbox).
REFUSAL_SECONDS = 3.0
NEW_PASSWORD = "une tempête de neige en avril"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')


def probe(env: VerifyEnvironment) -> dict[str, Any]:
    env.secrets.add(NEW_PASSWORD)
    with env.client() as client:
        attempts = [
            *_after_logout(env, client),
            *_after_password_change(env, client),
            *_after_deletion(env, client),
            *_refresh_reuse(env, client),
        ]
    cookies = _cookie_flags(env)
    got_through = [a for a in attempts if not a["refused"]]
    return {
        "passed": not got_through and not cookies["wrong"] and bool(cookies["checked"]),
        "tried": len(attempts),
        "attempts": attempts,
        "got_through": got_through,
        "cookies": cookies,
    }


def _log_in(client: httpx.Client, email: str, password: str = PASSWORD) -> dict[str, Any]:
    answer = client.post("/api/sessions", json={"identifier": email, "password": password})
    assert answer.status_code == 200, f"login: {answer.status_code}"
    return answer.json()


def _refused_within(call: Callable[[], httpx.Response], seconds: float = REFUSAL_SECONDS) -> tuple[bool, float, int]:
    """(refused in time, seconds it took, last status)."""
    began = time.monotonic()
    while True:
        status = call().status_code
        if status == 401:
            return True, round(time.monotonic() - began, 2), status
        if time.monotonic() - began > seconds:
            return False, round(time.monotonic() - began, 2), status
        time.sleep(0.05)


def _access_attempt(client: httpx.Client, case: str, tokens: dict[str, Any], path: str) -> dict[str, Any]:
    bearer = {"authorization": f"Bearer {tokens['access_token']}"}
    refused, seconds, status = _refused_within(lambda: client.get(path, headers=bearer))
    return {"case": case, "token": "access", "path": path, "refused": refused, "seconds": seconds, "status": status}


def _refresh_attempt(client: httpx.Client, case: str, refresh_token: str) -> dict[str, Any]:
    status = client.post("/api/sessions/refresh", json={"refresh_token": refresh_token}).status_code
    return {"case": case, "token": "refresh", "refused": status == 401, "status": status}


def _working(client: httpx.Client, tokens: dict[str, Any], path: str = "/api/me") -> None:
    """A control: the token works before the session ends, so a refusal afterwards means something."""
    status = client.get(path, headers={"authorization": f"Bearer {tokens['access_token']}"}).status_code
    assert status == 200, f"control: {path} answered {status} before the session ended"


def _after_logout(env: VerifyEnvironment, client: httpx.Client) -> list[dict[str, Any]]:
    citizen = env.new_citizen()
    tokens = _log_in(client, citizen.email)
    _working(client, tokens)
    assert client.post("/api/sessions/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    return [
        _access_attempt(client, "logout", tokens, "/api/me"),
        _access_attempt(client, "logout", tokens, "/api/my/appointments"),
        _refresh_attempt(client, "logout", tokens["refresh_token"]),
    ]


def _after_password_change(env: VerifyEnvironment, client: httpx.Client) -> list[dict[str, Any]]:
    citizen = env.new_citizen(deleted_by_privacy=False)
    first, second = _log_in(client, citizen.email), _log_in(client, citizen.email)  # two devices
    _working(client, first)
    codes_before = sum(
        1 for m in env.mail_sink.messages() if citizen.email in m.recipients and "code" in m.subject.lower()
    )
    change = client.post(
        "/api/me/sensitive-changes",
        json={"kind": "password", "new_value": NEW_PASSWORD, "current_password": PASSWORD},
        headers={"authorization": f"Bearer {first['access_token']}"},
    )
    assert change.status_code == 202, f"password change: {change.status_code}"
    code = code_from_mail(env.mail_sink, citizen.email, already=codes_before)
    passed = client.post(
        f"/api/challenges/{change.json()['challenge_id']}/verify",
        json={"code": code, "purpose": "change_password"},
        headers={"authorization": f"Bearer {first['access_token']}"},
    )
    assert passed.status_code == 200, f"code: {passed.status_code}"
    attempts = []
    for device, tokens in (("this device", first), ("another device", second)):
        case = f"password change ({device})"
        attempts += [
            _access_attempt(client, case, tokens, "/api/me"),
            _refresh_attempt(client, case, tokens["refresh_token"]),
        ]
    return attempts


def _after_deletion(env: VerifyEnvironment, client: httpx.Client) -> list[dict[str, Any]]:
    citizen = env.new_citizen(deleted_by_privacy=False)
    tokens = _log_in(client, citizen.email)
    _working(client, tokens, "/api/my/appointments")
    bearer = {"authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/me/delete", json={"password": PASSWORD}, headers=bearer).status_code == 204
    return [
        # Appointments never hears of sessions: only the gateway's refusal stops the token there.
        _access_attempt(client, "deletion", tokens, "/api/my/appointments"),
        _access_attempt(client, "deletion", tokens, "/api/my/history"),
        _refresh_attempt(client, "deletion", tokens["refresh_token"]),
    ]


def _refresh_reuse(env: VerifyEnvironment, client: httpx.Client) -> list[dict[str, Any]]:
    citizen = env.new_citizen()
    stolen = _log_in(client, citizen.email)
    first_use = client.post("/api/sessions/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert first_use.status_code == 200, f"first refresh: {first_use.status_code}"
    rotated = first_use.json()
    _working(client, rotated)
    return [
        _refresh_attempt(client, "refresh reuse: the copy presented again", stolen["refresh_token"]),
        _refresh_attempt(client, "refresh reuse: the token the first use got", rotated["refresh_token"]),
        _access_attempt(client, "refresh reuse: the access token the first use got", rotated, "/api/me"),
        _access_attempt(client, "refresh reuse: the login's access token", stolen, "/api/me"),
    ]


# --- cookies, from a gateway with the production setting ---


def _cookie_flags(env: VerifyEnvironment) -> dict[str, Any]:
    seen: list[dict[str, Any]] = []
    with SecureGateway(env) as base, httpx.Client(base_url=base, timeout=15) as client:
        citizen = env.new_citizen()
        jar = _Jar()
        for step, method, path, form in (
            ("citizen login page", "GET", "/account/login", None),
            ("citizen login", "POST", "/account/login", {"identifier": citizen.email, "password": PASSWORD}),
        ):
            seen += _exchange(client, jar, step, method, path, form, base)
        # The portal's silent refresh: no access cookie, a refresh cookie.
        jar.values.pop("__Host-access_token", None)
        seen += _exchange(client, jar, "portal refresh", "GET", "/account", None, base)
        seen += _exchange(client, jar, "citizen logout", "POST", "/account/logout", {}, base)
        # A clerk of this probe's own: password-guessing probes may have slowed down the clinics' clerks.
        clerk = f"sessions.{uuid.uuid4().hex[:8]}@clinique-x.example"
        clinic = env.clinics[0].catalogue.establishment_id
        run_sync(add_staff(env.database_urls["accounts"], clinic, clerk, "clerk"))
        staff = _Jar()
        for step, method, path, form in (
            ("staff login page", "GET", "/admin/login", None),
            ("staff login", "POST", "/admin/login", {"email": clerk, "password": STAFF_PASSWORD}),
            ("staff second factor", "POST", "/admin/login/code", {"use": "app", "code": current_code(clerk)}),
            ("staff logout", "POST", "/admin/logout", {}),
        ):
            seen += _exchange(client, staff, step, method, path, form, base)
    session_names = {c["name"] for c in seen}
    wrong = [c for c in seen if c["problems"]]
    expected = {
        "__Host-access_token",
        "__Host-refresh_token",
        "__Host-staff_access_token",
        "__Host-staff_refresh_token",
    }
    missing = sorted(expected - session_names)
    # The silent refresh must hand the browser the new pair, under the same names and flags.
    refreshed = {c["name"] for c in seen if c["step"] == "portal refresh"}
    missing += [f"{name} (portal refresh)" for name in sorted(expected - refreshed) if "staff" not in name]
    return {
        "gateway": "a second gateway process of the verify stack without GATEWAY_INSECURE_COOKIES",
        "checked": len(seen),
        "names": sorted(session_names),
        "missing": missing,
        "wrong": wrong + ([{"problems": [f"never set: {missing}"]}] if missing else []),
    }


class _Jar:
    """Cookies by hand: HTTP clients, like browsers, never send Secure cookies back over plain HTTP."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def header(self) -> dict[str, str]:
        return {"cookie": "; ".join(f"{k}={v}" for k, v in self.values.items())} if self.values else {}

    def take(self, set_cookies: list[str]) -> None:
        for cookie in set_cookies:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in cookie.lower() or not value or value == '""':
                self.values.pop(name, None)
            else:
                self.values[name] = value


def _exchange(
    client: httpx.Client, jar: _Jar, step: str, method: str, path: str, form: dict[str, str] | None, base: str
) -> list[dict[str, Any]]:
    headers = jar.header()
    if method == "POST":
        assert form is not None
        page = client.get(path.rsplit("/", 1)[0] + "/login" if path.endswith("logout") else path, headers=headers)
        jar.take(page.headers.get_list("set-cookie"))
        token = CSRF_FIELD.search(page.text)
        form = {**form, "csrf_token": token.group(1) if token else ""}
        headers = {**jar.header(), "origin": base}
        answer = client.post(path, data=form, headers=headers)
    else:
        answer = client.get(path, headers=headers)
    set_cookies = answer.headers.get_list("set-cookie")
    jar.take(set_cookies)
    return [_flags(step, cookie, answer.status_code) for cookie in set_cookies]


def _flags(step: str, cookie: str, status: int) -> dict[str, Any]:
    name = cookie.split("=", 1)[0]
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    problems = []
    if not name.startswith("__Host-"):
        problems.append("no __Host- prefix")
    if "secure" not in attributes:
        problems.append("not Secure")
    if "httponly" not in attributes:
        problems.append("not HttpOnly")
    if "path=/" not in attributes:
        problems.append("Path is not /")
    if any(a.startswith("domain=") for a in attributes):
        problems.append("has a Domain")
    if not any(a in ("samesite=lax", "samesite=strict") for a in attributes):
        problems.append("no SameSite Lax or Strict")
    return {"step": step, "status": status, "name": name, "problems": problems}


class SecureGateway:
    """One more gateway process of the stack, with cookie settings as in production."""

    def __init__(self, env: VerifyEnvironment) -> None:
        self.env = env
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log: Path = env.log_dir / "gateway-secure-cookies.log"

    def __enter__(self) -> str:
        config = self.env.stack.config
        environ = {**config.environ(), **config.instance_environ("gateway")}
        environ.pop("GATEWAY_INSECURE_COOKIES", None)
        environ["GATEWAY_METRICS_PORT"] = str(free_port())
        command = [
            sys.executable, "-m", "uvicorn", "gateway.main:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
        ]  # fmt: skip
        self.log.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while not http_ok(base + "/readyz"):
            assert self.process.poll() is None, "the second gateway exited; see gateway-secure-cookies.log"
            assert time.monotonic() < deadline, "the second gateway never became ready"
            time.sleep(0.1)
        return base

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
