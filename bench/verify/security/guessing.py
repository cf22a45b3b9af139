"""Password guessing and account enumeration (issue 18, findings 3 and 4), as an attacker tries them.

- Guessing: a staff member's and a citizen's password, wrong passwords sent one after the other, all at once
  (60 for staff, 100 for a citizen) and with a new X-Forwarded-For on every try; then the right one, at
  once. The attack succeeds when more wrong passwords are checked than the limit per account allows, or
  when the right password is accepted right after the burst. Each scenario has a person of its own, and
  starts from a clean address count (the attacker has as many addresses as needed, and the address limit
  must not hide a missing account limit); a forged X-Forwarded-For must not be what the tries are counted
  against.
- Enumeration: a reset, a registration, the status of the challenge each answers with, a resend of the
  reset's code, and a series of logins, for an address with a citizen account, an address without one and
  a staff member's address. The attack succeeds when the answers differ in status or JSON shape (the
  challenge ids, instants and masked destinations aside: a mask's form is compared, not its letters).

Everything is done to people made for the probe, and the address counts are cleared at the end, so the
lockouts disturb no other probe.
"""

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx

from bench.verify.environment import VerifyEnvironment
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD
from tests.e2e.clinic_staff import STAFF_PASSWORD, add_staff

LIMIT_PER_ACCOUNT = 5  # ACCOUNTS_LOGIN_FAILURES_BEFORE_DELAY: wrong passwords checked before refusals
SEQUENTIAL_TRIES = 12
STAFF_PARALLEL_TRIES = 60
CITIZEN_PARALLEL_TRIES = 100
ROTATING_TRIES = 40
LOGIN_PARITY_TRIES = LIMIT_PER_ACCOUNT + 2
WRONG = "ce n'est pas le bon mot de passe"
NEW_PASSWORD = "un mot de passe choisi par l'attaquant"
CHALLENGE_WAIT_SECONDS = 5.0  # verification records a challenge a few ms after accounts' answer
MASK = re.compile(r"^(?:.\*\*\*@(?P<domain>.+)|\*\*\*\d{4})$")


def probe(env: VerifyEnvironment) -> dict[str, Any]:
    try:
        guessing = {
            "staff_sequential": _guessing(env, _staff(env), _sequential(SEQUENTIAL_TRIES)),
            "staff_parallel": _guessing(env, _staff(env), _parallel(STAFF_PARALLEL_TRIES)),
            "staff_rotating_x_forwarded_for": _guessing(env, _staff(env), _rotating(ROTATING_TRIES)),
            "citizen_sequential": _guessing(env, _citizen(env), _sequential(SEQUENTIAL_TRIES)),
            "citizen_parallel": _guessing(env, _citizen(env), _parallel(CITIZEN_PARALLEL_TRIES)),
            "citizen_rotating_x_forwarded_for": _guessing(env, _citizen(env), _rotating(ROTATING_TRIES)),
        }
        enumeration = _enumeration(env)
    finally:
        _clear_address_counts(env)
    return {
        "passed": all(r["passed"] for r in guessing.values()) and all(r["passed"] for r in enumeration.values()),
        "guessing": guessing,
        "enumeration": enumeration,
    }


# --- who is attacked ---------------------------------------------------------------------------------------


class Target:
    """Where to sign in and with what: a citizen's identifier or a staff member's address."""

    def __init__(self, kind: str, path: str, field: str, identifier: str, password: str) -> None:
        self.kind, self.path, self.field, self.identifier, self.password = kind, path, field, identifier, password

    def body(self, password: str) -> dict[str, str]:
        return {self.field: self.identifier, "password": password}


def _staff(env: VerifyEnvironment) -> Target:
    email = f"guessing.{uuid.uuid4().hex[:10]}@clinique-x.example"
    run_sync(add_staff(env.database_urls["accounts"], env.clinics[0].catalogue.establishment_id, email, "clerk"))
    return Target("staff", "/api/staff/sessions", "email", email, STAFF_PASSWORD)


def _citizen(env: VerifyEnvironment) -> Target:
    return Target("citizen", "/api/sessions", "identifier", env.new_citizen().email, PASSWORD)


# --- guessing ----------------------------------------------------------------------------------------------

Attack = Callable[[VerifyEnvironment, Target], list[int]]


def _forged_address() -> str:
    return f"203.0.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def _sequential(tries: int) -> Attack:
    def attack(env: VerifyEnvironment, target: Target) -> list[int]:
        with env.client() as client:
            return [client.post(target.path, json=target.body(WRONG)).status_code for _ in range(tries)]

    return attack


def _parallel(tries: int) -> Attack:
    async def burst(env: VerifyEnvironment, target: Target) -> list[int]:
        limits = httpx.Limits(max_connections=tries, max_keepalive_connections=tries)
        async with httpx.AsyncClient(base_url=env.gateway, timeout=60, limits=limits) as client:
            answers = await asyncio.gather(*(client.post(target.path, json=target.body(WRONG)) for _ in range(tries)))
        return [answer.status_code for answer in answers]

    def attack(env: VerifyEnvironment, target: Target) -> list[int]:
        return run_sync(burst(env, target))

    return attack


def _rotating(tries: int) -> Attack:
    def attack(env: VerifyEnvironment, target: Target) -> list[int]:
        with env.client() as client:
            return [
                client.post(
                    target.path, json=target.body(WRONG), headers={"X-Forwarded-For": _forged_address()}
                ).status_code
                for _ in range(tries)
            ]

    return attack


def _guessing(env: VerifyEnvironment, target: Target, attack: Attack) -> dict[str, Any]:
    _clear_address_counts(env)
    statuses = attack(env, target)
    with env.client() as client:
        right = client.post(
            target.path, json=target.body(target.password), headers={"X-Forwarded-For": _forged_address()}
        )
    addresses = _address_counts(env)
    _clear_address_counts(env)  # the next scenario's person signs up from this same address
    checked = statuses.count(401)  # a 401 is a password argon2 checked; a refusal (429) checks nothing
    forged_counted = sorted(key for key in addresses if key.startswith("ip:203.0."))
    passed = checked <= LIMIT_PER_ACCOUNT and right.status_code != 200 and not forged_counted
    return {
        "target": target.kind,
        "wrong_passwords_sent": len(statuses),
        "wrong_passwords_checked": checked,
        "limit_required": LIMIT_PER_ACCOUNT,
        "answers": {str(status): statuses.count(status) for status in sorted(set(statuses))},
        "right_password_right_after": right.status_code,
        "retry_after": right.headers.get("retry-after"),
        "forged_addresses_counted": forged_counted,
        "passed": passed,
    }


async def _on_accounts(env: VerifyEnvironment, statement: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(env.database_urls["accounts"].replace("+asyncpg", ""))
    try:
        return await connection.fetch(statement)
    finally:
        await connection.close()


def _address_counts(env: VerifyEnvironment) -> dict[str, int]:
    rows = run_sync(_on_accounts(env, "SELECT key, failures FROM login_failures WHERE key LIKE 'ip:%'"))
    return {row["key"]: row["failures"] for row in rows}


def _clear_address_counts(env: VerifyEnvironment) -> None:
    run_sync(_on_accounts(env, "DELETE FROM login_failures WHERE key LIKE 'ip:%'"))


# --- enumeration -------------------------------------------------------------------------------------------


def _shape(value: Any) -> Any:
    """The JSON's structure and leaf types; a masked destination by its form, an error by its code."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(item) for item in value[:1]]
    if isinstance(value, str):
        return "mask" if MASK.match(value) else "str"
    return type(value).__name__


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = response.text[:80]
    error = body["errors"][0]["code"] if isinstance(body, dict) and body.get("errors") else None
    return {"status": response.status_code, "shape": _shape(body), "error": error}


def _challenge_status(client: httpx.Client, answer: httpx.Response) -> dict[str, Any]:
    if answer.status_code != 202:
        return {"status": None}
    challenge_id = answer.json()["challenge_id"]
    deadline = time.monotonic() + CHALLENGE_WAIT_SECONDS
    while True:
        status = client.get(f"/api/challenges/{challenge_id}")
        if status.status_code != 404 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    body = status.json()
    kept = {k: body.get(k) for k in ("status", "channel", "attempts_left")} if status.status_code == 200 else None
    return {**_answer(status), "values": kept}


def _same(answers: dict[str, dict[str, Any]]) -> bool:
    first = next(iter(answers.values()))
    return all(answer == first for answer in answers.values())


def _enumeration(env: VerifyEnvironment) -> dict[str, dict[str, Any]]:
    existing = env.new_citizen().email
    unknown = f"personne.{uuid.uuid4().hex[:10]}@example.org"
    staff = _staff(env).identifier
    addresses = {"existing_account": existing, "no_account": unknown, "staff_address": staff}
    results: dict[str, dict[str, Any]] = {}
    with env.client() as client:
        resets = {
            who: client.post("/api/password-resets", json={"identifier": address, "new_password": NEW_PASSWORD})
            for who, address in addresses.items()
        }
        registrations = {
            who: client.post(
                "/api/registrations",
                json={
                    "first_name": "Quelqu'un",
                    "last_name": "D'autre",
                    "birth_date": "1985-06-07",
                    "sex": "F",
                    "language": "fr",
                    "password": NEW_PASSWORD,
                    "email": address if who != "no_account" else f"nouvelle.{uuid.uuid4().hex[:10]}@example.org",
                },
            )
            for who, address in addresses.items()
        }
        for name, answers in (("reset", resets), ("registration", registrations)):
            seen = {who: _answer(answer) for who, answer in answers.items()}
            results[name] = {"answers": seen, "passed": _same(seen)}
            statuses = {who: _challenge_status(client, answer) for who, answer in answers.items()}
            results[f"{name}_challenge_status"] = {"answers": statuses, "passed": _same(statuses)}
        resends = {
            who: _answer(client.post(f"/api/codes/{answer.json()['challenge_id']}/resend", json={}))
            if answer.status_code == 202
            else {"status": None}
            for who, answer in resets.items()
        }
        results["reset_code_resent"] = {"answers": resends, "passed": _same(resends)}

        _clear_address_counts(env)
        citizen_logins = {
            who: [
                _answer(client.post("/api/sessions", json={"identifier": address, "password": WRONG}))
                for _ in range(LOGIN_PARITY_TRIES)
            ]
            for who, address in addresses.items()
        }
        _clear_address_counts(env)
        fresh_staff = _staff(env).identifier
        staff_logins = {
            who: [
                _answer(client.post("/api/staff/sessions", json={"email": address, "password": WRONG}))
                for _ in range(LOGIN_PARITY_TRIES)
            ]
            for who, address in (
                ("staff_member", fresh_staff),
                ("nobody", f"nul.{uuid.uuid4().hex[:8]}@clinique.example"),
            )
        }
    results["citizen_login"] = {
        "answers": {who: [a["status"] for a in seq] for who, seq in citizen_logins.items()},
        "passed": _same(citizen_logins) and any(a["status"] == 429 for a in citizen_logins["no_account"]),
    }
    results["staff_login"] = {
        "answers": {who: [a["status"] for a in seq] for who, seq in staff_logins.items()},
        "passed": _same(staff_logins) and any(a["status"] == 429 for a in staff_logins["nobody"]),
    }
    return results
