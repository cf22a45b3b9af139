"""Bad input on every account endpoint: a 4xx naming the field, in the caller's language; nothing written."""

import uuid

import asyncpg
import httpx
import pytest

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import PASSWORD, active_account

GOOD = {"first_name": "Eva", "last_name": "Roy", "birth_date": "1980-01-01", "sex": "F", "password": PASSWORD}
DEPENDANT = {"first_name": "Lou", "last_name": "Roy", "birth_date": "2015-01-01", "sex": "M"}
CHALLENGE = "/api/challenges/00000000-0000-4000-8000-000000000000/verify"

# (method, path, body, needs login, expected status, field, code)
CASES = {
    "register: no contact": ("POST", "/api/registrations", GOOD, False, 422, "email", "contact_required"),
    "register: bad email": ("POST", "/api/registrations", {**GOOD, "email": "eva@"}, False, 422, "email", "invalid_email"),
    "register: bad phone": ("POST", "/api/registrations", {**GOOD, "phone": "123"}, False, 422, "phone", "invalid_phone"),
    "register: bad NAM": (
        "POST", "/api/registrations", {**GOOD, "email": "e@example.org", "nam": "TEST54122817"}, False, 422, "nam", "invalid_nam"
    ),
    "register: short password": (
        "POST", "/api/registrations", {**GOOD, "email": "e@example.org", "password": "court"}, False, 422, "password", "weak_password"
    ),
    "register: common password": (
        "POST", "/api/registrations", {**GOOD, "email": "e@example.org", "password": "123456789987654321"}, False, 422,
        "password", "weak_password",
    ),
    "register: bad date": (
        "POST", "/api/registrations", {**GOOD, "email": "e@example.org", "birth_date": "1980-13-40"}, False, 422,
        "birth_date", "date_from_datetime_parsing",
    ),
    "register: bad sex": ("POST", "/api/registrations", {**GOOD, "email": "e@example.org", "sex": "Q"}, False, 422, "sex", "literal_error"),
    "register: missing names": ("POST", "/api/registrations", {"email": "e@example.org"}, False, 422, "first_name", "missing"),
    "log in: empty": ("POST", "/api/sessions", {"identifier": "", "password": ""}, False, 422, "identifier", "string_too_short"),
    "reset: weak password": (
        "POST", "/api/password-resets", {"identifier": "e@example.org", "new_password": "court"}, False, 422,
        "new_password", "weak_password",
    ),
    "code: not 6 digits": ("POST", CHALLENGE, {"code": "12ab", "purpose": "activate_account"}, False, 422, "code", "invalid_code_format"),
    "code: unknown purpose": ("POST", CHALLENGE, {"code": "123456", "purpose": "steal"}, False, 422, "purpose", "literal_error"),
    "profile: bad postal code": ("PATCH", "/api/me", {"postal_code": "12345"}, True, 422, "postal_code", "string_pattern_mismatch"),
    "profile: unknown field": ("PATCH", "/api/me", {"status": "active"}, True, 422, "status", "extra_forbidden"),
    "change: bad kind": (
        "POST", "/api/me/sensitive-changes", {"kind": "sex", "new_value": "F", "current_password": PASSWORD}, True, 422,
        "kind", "literal_error",
    ),
    "change: bad new email": (
        "POST", "/api/me/sensitive-changes", {"kind": "email", "new_value": "nope", "current_password": PASSWORD}, True, 422,
        "new_value", "invalid_email",
    ),
    "change: bad new NAM": (
        "POST", "/api/me/sensitive-changes", {"kind": "nam", "new_value": "ABCD", "current_password": PASSWORD}, True, 422,
        "new_value", "invalid_nam",
    ),
    "change: weak new password": (
        "POST", "/api/me/sensitive-changes", {"kind": "password", "new_value": "court", "current_password": PASSWORD}, True,
        422, "new_value", "weak_password",
    ),
    "change: wrong password": (
        "POST", "/api/me/sensitive-changes", {"kind": "phone", "new_value": "5145550100", "current_password": "x"}, True, 403,
        "current_password", "wrong_password",
    ),
    "dependant: missing birth date": (
        "POST", "/api/me/dependants", {k: v for k, v in DEPENDANT.items() if k != "birth_date"}, True, 422, "birth_date", "missing"
    ),
    "dependant: bad NAM": ("POST", "/api/me/dependants", {**DEPENDANT, "nam": "XXXX"}, True, 422, "nam", "invalid_nam"),
    "dependant: bad id": ("PUT", "/api/me/dependants/42", DEPENDANT, True, 422, "dependant_id", "uuid_parsing"),
    "delete: wrong password": ("POST", "/api/me/delete", {"password": "pas le bon"}, True, 403, "password", "wrong_password"),
    "refresh: empty token": ("POST", "/api/sessions/refresh", {"refresh_token": ""}, False, 422, "refresh_token", "string_too_short"),
    "refresh: unknown token": ("POST", "/api/sessions/refresh", {"refresh_token": "nope"}, False, 401, None, "session_expired"),
    "logout: missing token": ("POST", "/api/sessions/logout", {}, False, 422, "refresh_token", "missing"),
    "resend: bad challenge id": ("POST", "/api/codes/abc/resend", {}, False, 422, "challenge_id", "uuid_parsing"),
    "resend: unknown challenge": ("POST", "/api/codes/00000000-0000-4000-8000-000000000000/resend", {}, False, 404, None, "not_found"),
    "booking form: bad person id": ("GET", "/api/me/booking-form?person_id=x", None, True, 422, "person_id", "uuid_parsing"),
    "booking form: unknown person": ("GET", f"/api/me/booking-form?person_id={uuid.uuid4()}", None, True, 404, None, "not_found"),
    "staff log in: bad email": ("POST", "/api/staff/sessions", {"email": "x", "password": "y"}, False, 422, "email", "invalid_email"),
}  # fmt: skip


async def _row_counts(database_urls: dict[str, str]) -> dict[str, int]:
    counts = {}
    for service in ("accounts", "verification"):
        conn = await asyncpg.connect(database_urls[service].replace("+asyncpg", ""))
        try:
            for row in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"):
                table = row["tablename"]
                counts[f"{service}.{table}"] = await conn.fetchval(f'SELECT count(*) FROM "{table}"')
        finally:
            await conn.close()
    return counts


@pytest.fixture
def signed_in(system: Supervisor, mail_sink: MailSink) -> tuple[httpx.Client, dict[str, str]]:
    client = httpx.Client(base_url=system.config.url("gateway"), timeout=10)
    auth = active_account(client, mail_sink, "eva.roy@example.org")
    yield client, auth
    client.close()


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_clearly_and_writes_nothing(
    system: Supervisor, signed_in: tuple[httpx.Client, dict[str, str]], case: str, language: str
):
    client, auth = signed_in
    method, path, body, needs_login, status, field, code = CASES[case]
    headers = {"accept-language": language, **(auth if needs_login else {})}
    before = run_sync(_row_counts(system.config.database_urls))
    response = client.request(method, path, json=body, headers=headers)
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert (errors[0]["field"], errors[0]["code"]) == (field, code), errors
    assert response.json()["detail"] == errors[0]["message"][language]
    assert errors[0]["message"]["fr"] != errors[0]["message"]["en"]
    assert run_sync(_row_counts(system.config.database_urls)) == before
