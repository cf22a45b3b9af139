"""Sessions end when the citizen or accounts says so, not when their tokens expire (issue 18, finding 9).

Access tokens are refused within a moment of a logout, a password change or a deletion (accounts publishes
SessionsRevoked, each gateway hears it); a refresh token works once, and presented again ends its whole session;
a session ends at its absolute lifetime (staff 12 h); the portal's silent refresh keeps the citizen signed in.
"""

import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import asyncpg
import httpx
import pytest

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from services.accounts.sessions.rules import issue_access_token
from tests.e2e.accounts_flow import PASSWORD, code_from_mail, register, verify, wait_for_login
from tests.e2e.clinic_staff import add_staff, staff_sign_in

NEW_PASSWORD = "les oies blanches repartent en octobre"


@pytest.fixture
def client(system: Supervisor):
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        yield client


def _citizen(client: httpx.Client, mail_sink: MailSink) -> tuple[str, dict[str, str]]:
    """An active account and a fresh login's tokens."""
    email = f"session.{uuid.uuid4().hex[:8]}@example.org"
    registration = register(client, email=email)
    code = code_from_mail(mail_sink, email)
    assert verify(client, registration["challenge_id"], code, "activate_account").status_code == 200
    wait_for_login(client, email)
    return email, _log_in(client, email)


def _log_in(client: httpx.Client, email: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/api/sessions", json={"identifier": email, "password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens['access_token']}"}


def _refused_soon(call: Callable[[], httpx.Response], seconds: float = 5.0) -> float:
    """Seconds until `call` answers 401; fails if it still works after `seconds` (its token lives 15 minutes)."""
    began = time.monotonic()
    while True:
        status = call().status_code
        if status == 401:
            return time.monotonic() - began
        assert status == 200, status
        assert time.monotonic() - began < seconds, "the token still works"
        time.sleep(0.05)


def _refresh(client: httpx.Client, refresh_token: str) -> httpx.Response:
    return client.post("/api/sessions/refresh", json={"refresh_token": refresh_token})


def test_logout_ends_the_session_at_once(client: httpx.Client, mail_sink: MailSink):
    _, tokens = _citizen(client, mail_sink)
    _, other = _citizen(client, mail_sink)  # someone else's session is untouched
    assert client.get("/api/me", headers=_bearer(tokens)).status_code == 200

    assert client.post("/api/sessions/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204

    _refused_soon(lambda: client.get("/api/me", headers=_bearer(tokens)))
    assert client.get("/api/my/appointments", headers=_bearer(tokens)).status_code == 401
    assert _refresh(client, tokens["refresh_token"]).status_code == 401
    assert client.get("/api/me", headers=_bearer(other)).status_code == 200


def test_a_password_change_ends_every_session_and_a_new_login_works(client: httpx.Client, mail_sink: MailSink):
    email, first = _citizen(client, mail_sink)
    second = _log_in(client, email)  # another device
    change = client.post(
        "/api/me/sensitive-changes",
        json={"kind": "password", "new_value": NEW_PASSWORD, "current_password": PASSWORD},
        headers=_bearer(first),
    )
    assert change.status_code == 202, change.text
    code = code_from_mail(mail_sink, email, already=1)
    assert (
        verify(client, change.json()["challenge_id"], code, "change_password", first["access_token"]).status_code == 200
    )

    for tokens in (first, second):
        _refused_soon(lambda tokens=tokens: client.get("/api/me", headers=_bearer(tokens)))
        assert _refresh(client, tokens["refresh_token"]).status_code == 401
    # The new password's session, in the same second as the change or later, is not caught by it.
    wait_for_login(client, email, NEW_PASSWORD, not_yet=401)
    fresh = _log_in(client, email, NEW_PASSWORD)
    assert client.get("/api/me", headers=_bearer(fresh)).status_code == 200
    renewed = _refresh(client, fresh["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert client.get("/api/me", headers=_bearer(renewed.json())).status_code == 200


def test_a_deleted_account_s_token_is_refused_everywhere_at_once(client: httpx.Client, mail_sink: MailSink):
    _, tokens = _citizen(client, mail_sink)
    assert client.get("/api/my/appointments", headers=_bearer(tokens)).status_code == 200

    deleted = client.post("/api/me/delete", json={"password": PASSWORD}, headers=_bearer(tokens))
    assert deleted.status_code == 204, deleted.text

    # Appointments knows nothing of the deletion yet, or ever of the session: the gateway refuses the token.
    _refused_soon(lambda: client.get("/api/my/appointments", headers=_bearer(tokens)))
    assert _refresh(client, tokens["refresh_token"]).status_code == 401


def test_a_refresh_token_presented_twice_ends_its_whole_session(client: httpx.Client, mail_sink: MailSink):
    email, stolen = _citizen(client, mail_sink)
    elsewhere = _log_in(client, email)  # another session of the same citizen
    rotated = _refresh(client, stolen["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    pair = rotated.json()
    assert pair["refresh_token"] != stolen["refresh_token"]
    assert client.get("/api/me", headers=_bearer(pair)).status_code == 200

    assert _refresh(client, stolen["refresh_token"]).status_code == 401  # the copy, presented again

    assert _refresh(client, pair["refresh_token"]).status_code == 401  # the family ended: the rotated one too
    _refused_soon(lambda: client.get("/api/me", headers=_bearer(pair)))
    assert client.get("/api/me", headers=_bearer(stolen)).status_code == 401
    assert client.get("/api/me", headers=_bearer(elsewhere)).status_code == 200
    assert _refresh(client, elsewhere["refresh_token"]).status_code == 200


async def _age_sessions(url: str, subject_email: str, table: str, age: timedelta) -> None:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(
            f"UPDATE session_families SET started_at = now() - $2::interval "
            f"WHERE subject_id = (SELECT id FROM {table} WHERE lower(email) = lower($1))",
            subject_email,
            age,
        )
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("age", "works"),
    [(timedelta(hours=11, minutes=50), True), (timedelta(hours=12, minutes=1), False)],
)
def test_a_staff_session_ends_12_hours_after_sign_in(
    client: httpx.Client, system: Supervisor, catalogue, age: timedelta, works: bool
):
    email = f"commis.{uuid.uuid4().hex[:6]}@clinique.example"
    url = system.config.database_urls["accounts"]
    run_sync(add_staff(url, catalogue.establishment_id, email, "clerk"))
    tokens = staff_sign_in(client, email)
    assert 12 * 3600 - 60 <= tokens["refresh_expires_in"] <= 12 * 3600  # the cookie's Max-Age

    run_sync(_age_sessions(url, email, "staff_users", age))

    assert (_refresh(client, tokens["refresh_token"]).status_code == 200) is works


def test_a_citizen_session_ends_30_days_after_login_however_often_refreshed(
    client: httpx.Client, system: Supervisor, mail_sink: MailSink
):
    email, tokens = _citizen(client, mail_sink)
    assert 30 * 86400 - 60 <= tokens["refresh_expires_in"] <= 30 * 86400
    renewed = _refresh(client, tokens["refresh_token"]).json()
    run_sync(_age_sessions(system.config.database_urls["accounts"], email, "accounts", timedelta(days=30, minutes=1)))
    assert _refresh(client, renewed["refresh_token"]).status_code == 401


def test_the_portal_refreshes_an_expired_access_cookie_and_keeps_the_citizen_signed_in(
    system: Supervisor, client: httpx.Client, mail_sink: MailSink
):
    _, tokens = _citizen(client, mail_sink)
    private_key = system.config.jwt_keys[0]
    me = client.get("/api/me", headers=_bearer(tokens)).json()
    expired = issue_access_token(private_key, uuid.UUID(me["id"]), "citizen", -1)
    # The stack serves plain HTTP (GATEWAY_INSECURE_COOKIES): the cookies have their plain names.
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as browser:
        browser.cookies.set("access_token", expired, domain="127.0.0.1")
        browser.cookies.set("refresh_token", tokens["refresh_token"], domain="127.0.0.1")
        page = browser.get("/account")
        assert page.status_code == 200, page.headers.get("location")
        assert me["first_name"] in page.text
        assert 'action="/account/logout"' in page.text  # the header shows the citizen signed in
        set_cookies = page.headers.get_list("set-cookie")
        assert any(c.startswith("access_token=") for c in set_cookies), set_cookies
        assert any(c.startswith("refresh_token=") for c in set_cookies), set_cookies
        assert browser.cookies["refresh_token"] != tokens["refresh_token"]

        # The next page works with the new pair, and again once its access cookie is gone.
        assert browser.get("/account/appointments").status_code == 200
        browser.cookies.delete("access_token")
        again = browser.get("/account")
        assert again.status_code == 200, again.headers.get("location")


def test_a_gateway_that_starts_after_a_logout_refuses_that_session_s_tokens(
    client: httpx.Client, system: Supervisor, mail_sink: MailSink
):
    _, tokens = _citizen(client, mail_sink)
    assert client.post("/api/sessions/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    _refused_soon(lambda: client.get("/api/me", headers=_bearer(tokens)))

    system.kill("gateway")  # what it heard is gone: the new process asks accounts
    system.restart("gateway")
    system.wait_ready("gateway", path="/readyz")

    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as fresh:
        assert fresh.get("/api/me", headers=_bearer(tokens)).status_code == 401
