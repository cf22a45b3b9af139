"""Clinic staff and soon-starting slots for the console and validation tests."""

import base64
import hashlib
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pyotp
from argon2 import PasswordHasher
from playwright.sync_api import Locator, Page, expect

from devstack.supervisor import stack_setting
from devstack.testing.fixtures import run_sync
from services.accounts.links.rules import NamVault
from tests.e2e.forms import submit

STAFF_PASSWORD = "console du CLSC de test"
MONTREAL = ZoneInfo("America/Montreal")
TOTP_PERIOD_SECONDS = 30


def totp_secret_for(email: str) -> str:
    """The TOTP secret `add_staff` enrols for this e-mail: derived from it, so any test (API, browser or bench)
    computes its codes with no shared state. Base32, 32 characters, as pyotp.random_base32 makes them."""
    digest = hashlib.sha256(b"clinic test staff totp:" + email.strip().lower().encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def code_at(secret: str, step: int) -> str:
    """The 6-digit code of a TOTP time step (30 s)."""
    return pyotp.TOTP(secret).generate_otp(step)


def current_step() -> int:
    return int(time.time()) // TOTP_PERIOD_SECONDS


def current_code(email: str) -> str:
    """The code the authenticator of a staff member added by `add_staff` shows now."""
    return code_at(totp_secret_for(email), current_step())


def _vault(url: str) -> NamVault:
    key = stack_setting(url, "ACCOUNTS_NAM_KEY")
    if key is None:
        raise LookupError(f"no stack of this process uses {url} for accounts: its NAM key encrypts TOTP secrets")
    return NamVault(key)


async def add_staff(
    url: str, establishment_id: uuid.UUID | None, email: str, role: str, *, enrolled: bool = True
) -> uuid.UUID:
    """A staff member with STAFF_PASSWORD and the TOTP secret `totp_secret_for(email)` already enrolled (unless
    `enrolled` is False: they enrol at sign-in), holding `role` (clerk or manager) at `establishment_id`; role
    "operator" (no establishment) makes a platform operator. An e-mail already there gains the role, enabled, and
    (if `enrolled`) its secret back: an operator may have reset it."""
    secret = _vault(url).protect_contact(totp_secret_for(email))[0] if enrolled else None
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        async with conn.transaction():
            staff_id: uuid.UUID = await conn.fetchval(
                "INSERT INTO staff_users (id, email, name, password_hash, operator, totp_secret_encrypted,"
                " totp_enrolled_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE now() END)"
                " ON CONFLICT (lower(email)) DO UPDATE SET operator = staff_users.operator OR EXCLUDED.operator,"
                " totp_secret_encrypted = coalesce(EXCLUDED.totp_secret_encrypted, staff_users.totp_secret_encrypted),"
                " totp_enrolled_at = coalesce(EXCLUDED.totp_enrolled_at, staff_users.totp_enrolled_at)"
                " RETURNING id",
                uuid.uuid4(),
                email,
                f"Test {role}",
                PasswordHasher(memory_cost=19456, time_cost=2, parallelism=1).hash(STAFF_PASSWORD),
                role == "operator",
                secret,
            )
            if role != "operator":
                await conn.execute(
                    "INSERT INTO staff_roles (staff_id, establishment_id, role) VALUES ($1, $2, $3)"
                    " ON CONFLICT (staff_id, establishment_id) DO UPDATE SET role = EXCLUDED.role, disabled_at = NULL",
                    staff_id,
                    establishment_id,
                    role,
                )
    finally:
        await conn.close()
    return staff_id


def add_operator(url: str, email: str) -> uuid.UUID:
    """A platform operator with STAFF_PASSWORD and `totp_secret_for(email)` enrolled (from synchronous tests)."""
    return run_sync(add_staff(url, None, email, "operator"))


@dataclass(frozen=True)
class ClinicSlot:
    id: uuid.UUID
    day: date  # the clinic's local date of the slot, the day to open in the console


async def slot_soon(url: str, service_id: uuid.UUID) -> ClinicSlot:
    """A slot starting in 30 minutes: still bookable, and on tomorrow's list when the clinic's day is nearly over."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        slot = uuid.uuid4()
        starts = datetime.now(MONTREAL) + timedelta(minutes=30)
        await conn.execute(
            "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) "
            "VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '10 minutes', 3)",
            slot,
            service_id,
            starts.astimezone(UTC),
        )
        return ClinicSlot(slot, starts.date())
    finally:
        await conn.close()


def staff_sign_in(
    client: httpx.Client,
    email: str,
    *,
    password: str = STAFF_PASSWORD,
    establishment_id: uuid.UUID | None = None,
    secret: str | None = None,
) -> dict[str, Any]:
    """Password, then the TOTP code of `secret` (default `totp_secret_for(email)`): the StaffTokenResponse. A
    person not enrolled yet enrols the secret the sign-in offers (the answer then holds `recovery_codes` and
    `totp_secret`). With `establishment_id`, a person holding several roles chooses that establishment."""
    step = client.post("/api/staff/sessions", json={"email": email, "password": password})
    assert step.status_code == 200, step.text
    started = step.json()
    if started["next"] == "enrol":
        offered = started["enrolment"]["secret"]
        enrolled = client.post(
            "/api/staff/sessions/enrolment",
            json={"challenge": started["challenge"], "code": code_at(offered, current_step())},
        )
        assert enrolled.status_code == 200, enrolled.text
        tokens: dict[str, Any] = enrolled.json() | {"totp_secret": offered}
    else:
        tokens = second_factor(client, started["challenge"], secret or totp_secret_for(email))
    if establishment_id is not None and tokens["establishment_id"] != str(establishment_id):
        chosen = client.post(
            "/api/staff/sessions/establishment",
            json={"establishment_id": str(establishment_id), "refresh_token": tokens["refresh_token"]},
            headers={"authorization": f"Bearer {tokens['access_token']}"},
        )
        assert chosen.status_code == 200, chosen.text
        tokens = chosen.json()
    return tokens


def second_factor(client: httpx.Client, challenge: str, secret: str) -> dict[str, Any]:
    """Sends the code of the step now, then, when that code was used already (the same person signed in within the
    same 30 s), the next step's, which the window also accepts; when both were used, waits for the next step."""
    while True:
        now = current_step()
        for step in (now, now + 1):
            answer = client.post(
                "/api/staff/sessions/totp", json={"challenge": challenge, "code": code_at(secret, step)}
            )
            if answer.status_code == 200:
                tokens: dict[str, Any] = answer.json()
                return tokens
            assert answer.status_code == 422, answer.text
            assert answer.json()["errors"][0]["code"] == "code_already_used", answer.text
        time.sleep(TOTP_PERIOD_SECONDS - time.time() % TOTP_PERIOD_SECONDS + 0.1)


def staff_auth(client: httpx.Client, email: str, establishment_id: uuid.UUID | None = None) -> dict[str, str]:
    """The headers of a staff member's signed-in API calls (password, then TOTP code)."""
    tokens = staff_sign_in(client, email, establishment_id=establishment_id)
    return {"authorization": f"Bearer {tokens['access_token']}"}


def log_in(page: Page, gateway: str, email: str, path: str = "/admin", *, establishment: str | None = None) -> None:
    """Signs in on the console's sign-in page, which a page of the console sends to (and back from): the password,
    then the code of `totp_secret_for(email)` (the next step's when this one was used, else the step after);
    with `establishment` (its name), chooses it when the person works at several."""
    page.goto(gateway + path)
    expect(page.get_by_role("heading", name="Connexion du personnel")).to_be_visible()
    page.get_by_label("Courriel professionnel").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/admin/login/code$"))
    enter_code(page, totp_secret_for(email))
    if establishment is not None and "/admin/establishment" in page.url:
        page.get_by_label(establishment).check()
        page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Connexion du personnel")).to_have_count(0)


def enter_code(page: Page, secret: str) -> None:
    """On the second factor's page: the code of the step now, else the next one; when both were used (the same
    person signed in within these 30 s), waits for a new step."""
    while True:
        now = current_step()
        for step in (now, now + 1):
            page.get_by_label("Code à 6 chiffres").fill(code_at(secret, step))
            page.get_by_role("button", name="Continuer").click()
            page.wait_for_load_state()
            if not page.url.endswith("/admin/login/code"):
                return
            expect(page.locator(".govuk-error-summary")).to_contain_text("Ce code a déjà servi")
        time.sleep(TOTP_PERIOD_SECONDS - time.time() % TOTP_PERIOD_SECONDS + 0.1)


def console_code(client: httpx.Client, email: str) -> httpx.Response:
    """Over plain HTTP, after the console's password form answered (its cookie jar holds the sign-in step): the
    code form, filled as `enter_code` does in a browser. The redirect that ends sign-in."""
    while True:
        now = current_step()
        for step in (now, now + 1):
            form = client.get("/admin/login/code")
            assert form.status_code == 200, form.text
            code = code_at(totp_secret_for(email), step)
            answer = submit(client, form, "/admin/login/code", {"use": "app", "code": code})
            if answer.status_code == 303:
                return answer
            assert answer.status_code == 422, answer.text
            assert "Ce code a déjà servi" in answer.text, answer.text
        time.sleep(TOTP_PERIOD_SECONDS - time.time() % TOTP_PERIOD_SECONDS + 0.1)


def suivi_row(page: Page, patient: str) -> Locator:
    return page.locator("table.rvs-suivi tbody tr").filter(has_text=patient)
