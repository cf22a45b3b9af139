"""Password guessing and account enumeration through the running stack (issue 18, findings 3 and 4).

The gateway runs as `make run` starts it (uvicorn with --no-proxy-headers, no trusted proxy): a local client's
X-Forwarded-For no longer chooses the address its tries are counted against. Reset, registration, challenge
status and login answer alike whether the address has an account, has none, or is a staff member's.
"""

import asyncpg
import httpx
import pytest

from devstack.demo_data.accounts import CLERK_EMAIL, load_demo_staff
from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, active_account, wait_until

NEW_PASSWORD = "les outardes reviennent au printemps"


@pytest.fixture
def client(system: Supervisor):
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        yield client


async def _address_counts(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        rows = await connection.fetch("SELECT key, failures FROM login_failures WHERE key LIKE 'ip:%'")
        return {row["key"]: row["failures"] for row in rows}
    finally:
        await connection.close()


def test_a_local_client_does_not_choose_its_address_with_x_forwarded_for(client: httpx.Client, system: Supervisor):
    for n in range(3):
        response = client.post(
            "/api/staff/sessions",
            json={"email": "personne@clinique.example", "password": "pas le bon mot de passe"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
        assert response.status_code == 401
    assert run_sync(_address_counts(system.config.database_urls["accounts"])) == {"ip:127.0.0.1": 3}


def _challenge(client: httpx.Client, challenge_id: str) -> httpx.Response:
    """Verification records a challenge when it consumes accounts' request: a few ms after the answer."""
    answers: list[httpx.Response] = []
    wait_until(
        lambda: answers.append(client.get(f"/api/challenges/{challenge_id}")) or answers[-1].status_code != 404,
        message=f"challenge {challenge_id} never known",
    )
    return answers[-1]


def _comparable(response: httpx.Response) -> tuple[int, object]:
    """Status and body with what is fresh each time (ids, instants) left out, masks reduced to their form."""
    body = response.json()
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in ("challenge_id", "id", "expires_at", "sent_to")}
    return response.status_code, body


def test_reset_and_its_challenge_answer_alike_with_or_without_an_account(
    client: httpx.Client, system: Supervisor, mail_sink: MailSink
):
    existing = "sophie.existe@example.org"
    active_account(client, mail_sink, existing)
    run_sync(load_demo_staff(system.config.database_urls["accounts"]))
    mails_before = len(mail_sink.messages())
    resets = {
        who: client.post("/api/password-resets", json={"identifier": address, "new_password": NEW_PASSWORD})
        for who, address in (("existing", existing), ("unknown", "sylvie.inconnue@example.org"), ("staff", CLERK_EMAIL))
    }
    assert {who: _comparable(r) for who, r in resets.items()} == {
        who: (202, {"channel": "email", "warnings": []}) for who in resets
    }
    assert [r.json()["sent_to"] for r in resets.values()] == [
        "s***@example.org",
        "s***@example.org",
        "c***@" + CLERK_EMAIL.split("@")[1],
    ]

    statuses = {who: _challenge(client, r.json()["challenge_id"]) for who, r in resets.items()}
    expected = (200, {"status": "issued", "channel": "email", "attempts_left": 5})
    assert {who: _comparable(s) for who, s in statuses.items()} == {who: expected for who in statuses}

    resent = {who: client.post(f"/api/codes/{r.json()['challenge_id']}/resend", json={}) for who, r in resets.items()}
    assert {who: _comparable(r) for who, r in resent.items()} == {
        who: (202, {"channel": "email", "warnings": []}) for who in resets
    }
    resets = resent  # the resent challenges replace the first ones, as for the account's owner
    for r in resets.values():
        _challenge(client, r.json()["challenge_id"])

    wrong = {
        who: client.post(
            f"/api/challenges/{r.json()['challenge_id']}/verify", json={"code": "000000", "purpose": "reset_password"}
        )
        for who, r in resets.items()
    }
    assert len({(w.status_code, w.json()["errors"][0]["code"]) for w in wrong.values()}) == 1
    # Only the account's owner got a code, and its resend.
    wait_until(lambda: len(mail_sink.messages()) >= mails_before + 2)
    assert [m.recipients for m in mail_sink.messages()[mails_before:]] == [[existing], [existing]]


def test_registration_answers_alike_for_a_new_a_taken_and_a_staff_address(
    client: httpx.Client, system: Supervisor, mail_sink: MailSink
):
    active_account(client, mail_sink, "deja.prise@example.org")
    run_sync(load_demo_staff(system.config.database_urls["accounts"]))
    body = {
        "first_name": "Claire",
        "last_name": "Tremblay",
        "birth_date": "1991-03-04",
        "sex": "F",
        "password": PASSWORD,
    }
    answers = {
        who: client.post("/api/registrations", json=body | {"email": address})
        for who, address in (
            ("new", "claire.nouvelle@example.org"),
            ("taken", "deja.prise@example.org"),
            ("staff", CLERK_EMAIL),
        )
    }
    assert {who: _comparable(a) for who, a in answers.items()} == {
        who: (202, {"channel": "email", "warnings": []}) for who in answers
    }
    statuses = {who: _comparable(_challenge(client, a.json()["challenge_id"])) for who, a in answers.items()}
    assert statuses == {who: (200, {"status": "issued", "channel": "email", "attempts_left": 5}) for who in answers}


def test_logins_are_refused_after_as_many_tries_whether_the_account_exists_or_not(
    client: httpx.Client, system: Supervisor, mail_sink: MailSink
):
    active_account(client, mail_sink, "lente@example.org")
    run_sync(load_demo_staff(system.config.database_urls["accounts"]))

    def tries(path: str, field: str, identifier: str) -> list[int]:
        return [
            client.post(path, json={field: identifier, "password": "pas le bon mot de passe"}).status_code
            for _ in range(6)
        ]

    citizen, unknown = (
        tries("/api/sessions", "identifier", "lente@example.org"),
        tries("/api/sessions", "identifier", "lent@example.org"),
    )
    staff, unknown_staff = (
        tries("/api/staff/sessions", "email", CLERK_EMAIL),
        tries("/api/staff/sessions", "email", "nul@clinique.example"),
    )
    assert citizen == unknown == staff == unknown_staff == [401] * 5 + [429]
