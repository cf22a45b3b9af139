"""Hostile input through the real gateway and services: NUL bytes and lone surrogates in every kind of text
field, year-1 dates at +14:00, oversized bodies (declared and streamed, at the gateway and straight to a
service). Each is a 4xx naming the field (413 for a body), never a 500, and no log holds a statement's
parameters or the values sent."""

import json
import re
import select
import socket
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from tests.e2e.accounts_flow import PASSWORD, active_account
from tests.e2e.conftest import booking

MARK = "hostile" + uuid.uuid4().hex[:8]  # in every value sent: found in a log, it leaked
TEXT = {"nul": f"{MARK}\x00x", "surrogate": f"{MARK}\ud800x"}
YEAR_ONE = "0001-01-01T00:00:00+14:00"
REGISTRATION = {"first_name": "Eva", "last_name": "Roy", "birth_date": "1980-01-01", "sex": "F", "password": PASSWORD}
# Logged SQL parameter lists, as SQLAlchemy and asyncpg word them.
PARAMETER_DUMPS = re.compile(r"\[parameters:|parameters: \(|\$1::|\[SQL: |DETAIL: +Key \(")


@pytest.fixture
def signed_in(system: Supervisor, mail_sink: MailSink) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    client = httpx.Client(base_url=system.config.url("gateway"), timeout=30)
    auth = active_account(client, mail_sink, f"eva.{uuid.uuid4().hex[:6]}@example.org")
    yield client, auth
    client.close()


def _post_json(client: httpx.Client, method: str, path: str, body: dict, headers: dict[str, str]) -> httpx.Response:
    # json.dumps escapes a lone surrogate as "\ud800" (httpx's own encoder would fail on it, as UTF-8 must).
    content = json.dumps(body).encode()
    return client.request(method, path, content=content, headers={"content-type": "application/json", **headers})


def _cases(slot: str) -> dict[str, tuple[str, str, dict, bool, str]]:
    """kind of field -> (method, path, body with {} where the hostile text goes, signed in, field)."""
    register = {**REGISTRATION, "email": "e@example.org"}
    dependant = {"last_name": "Roy", "birth_date": "2015-01-01", "sex": "M"}
    change = {"kind": "email", "current_password": PASSWORD}
    book = booking(uuid.UUID(slot))
    code = {"purpose": "activate_account"}
    return {
        "name (registration)": ("POST", "/api/registrations", {**register, "first_name": {}}, False, "first_name"),
        "e-mail (registration)": ("POST", "/api/registrations", {**register, "email": {}}, False, "email"),
        "password": ("POST", "/api/registrations", {**register, "password": {}}, False, "password"),
        "login identifier": ("POST", "/api/sessions", {"identifier": {}, "password": PASSWORD}, False, "identifier"),
        "reset identifier": (
            "POST",
            "/api/password-resets",
            {"identifier": {}, "new_password": PASSWORD},
            False,
            "identifier",
        ),
        "staff login": ("POST", "/api/staff/sessions", {"email": {}, "password": "x"}, False, "email"),
        "address (profile)": ("PATCH", "/api/me", {"address": {}}, True, "address"),
        "city (profile)": ("PATCH", "/api/me", {"city": {}}, True, "city"),
        "dependant name": ("POST", "/api/me/dependants", {**dependant, "first_name": {}}, True, "first_name"),
        "sensitive change": ("POST", "/api/me/sensitive-changes", {**change, "new_value": {}}, True, "new_value"),
        "booking name": ("POST", "/api/appointments", {**book, "last_name": {}}, False, "last_name"),
        "booking NAM": ("POST", "/api/appointments", {**book, "nam": {}, "birth_date": "1954-12-28"}, False, "nam"),
        "manage token": ("POST", f"/api/appointments/{uuid.uuid4()}/cancel", {"token": {}}, False, "token"),
        "code": ("POST", f"/api/challenges/{uuid.uuid4()}/verify", {**code, "code": {}}, False, "code"),
    }


def _fill(body: dict, value: str) -> dict:
    return {key: (value if item == {} else item) for key, item in body.items()}


@pytest.mark.parametrize("kind", list(TEXT))
def test_unstorable_text_in_every_kind_of_field_is_a_422(signed_in, catalogue, kind: str):
    client, auth = signed_in
    slot = str(catalogue.open_slot)
    failures = []
    for label, (method, path, body, needs_login, field) in _cases(slot).items():
        headers = {"accept-language": "en", **(auth if needs_login else {})}
        answer = _post_json(client, method, path, _fill(body, TEXT[kind]), headers)
        errors = (
            answer.json().get("errors", [{}])
            if answer.headers.get("content-type", "").startswith("application/json")
            else [{}]
        )
        if (answer.status_code, errors[0].get("field"), errors[0].get("code")) != (422, field, "unsafe_text"):
            failures.append(f"{label}: {answer.status_code} {answer.text[:200]}")
    assert failures == []


def test_nul_in_a_query_is_a_422(system: Supervisor, catalogue):
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        for url in ("/api/search?postal_code=H2X%001Y4", f"/api/slots?service_id={catalogue.service_id}&x=%00"):
            answer = client.get(url)
            assert answer.status_code == 422, answer.text
            assert answer.json()["errors"][0]["code"] == "unsafe_text"


def test_year_one_at_plus_fourteen_hours_is_a_422(signed_in, catalogue):
    client, auth = signed_in
    slots = client.get("/api/slots", params={"service_id": str(catalogue.service_id), "date_from": YEAR_ONE})
    assert (slots.status_code, slots.json()["errors"][0]["code"]) == (422, "date_out_of_range"), slots.text
    search = client.get("/api/search", params={"postal_code": "H2X 1Y4", "date_to": YEAR_ONE})
    assert (search.status_code, search.json()["errors"][0]["code"]) == (422, "date_out_of_range"), search.text
    for date in ("0001-01-01", "9999-12-31"):
        registered = client.post(
            "/api/registrations", json={**REGISTRATION, "email": "y1@example.org", "birth_date": date}
        )
        assert (registered.status_code, registered.json()["errors"][0]["field"]) == (422, "birth_date"), registered.text
    moved = client.patch("/api/me", json={"birth_date": "2999-01-01"}, headers=auth)
    assert moved.status_code == 422, moved.text


def _raw_chunked_post(url: str, path: str, total: int) -> tuple[int, int]:
    """Streams up to `total` bytes chunked, as a client that reads the answer as soon as one comes; returns the
    status and how much was sent by then. The server answers 413 and closes without reading the rest."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nTransfer-Encoding: chunked\r\n"
        conn.sendall(f"{head}Content-Type: application/json\r\n\r\n".encode())
        chunk, sent = b"x" * 65536, 0
        while sent < total and not select.select([conn], [], [], 0)[0]:
            try:
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                break  # closed by the server: its answer is waiting
            sent += len(chunk)
        answer = conn.recv(4096)
    return int(answer.split(b" ", 2)[1]), sent


@pytest.mark.parametrize("target", ["gateway", "accounts", "appointments"])
def test_an_oversized_body_is_a_413_declared_or_streamed(system: Supervisor, target: str):
    path = {"gateway": "/api/registrations", "accounts": "/registrations", "appointments": "/appointments"}[target]
    base = system.config.url(target)
    with httpx.Client(base_url=base, timeout=30) as client:
        declared = client.post(path, content=b"x" * (2 * 1024 * 1024), headers={"content-type": "application/json"})
        assert declared.status_code == 413, declared.text
        body = declared.json()
        assert body["errors"][0]["code"] == "body_too_large"
        assert body["errors"][0]["message"]["fr"] != body["errors"][0]["message"]["en"]
    status, sent = _raw_chunked_post(base, path, 20 * 1024 * 1024)
    assert status == 413
    assert sent < 20 * 1024 * 1024  # answered and closed long before the end


def test_no_log_holds_statement_parameters_or_the_values_sent(system: Supervisor, signed_in, catalogue):
    client, auth = signed_in
    # Statements that failed before the fix, as 500s whose INSERT/UPDATE parameters went to the log: a profile
    # change, a registration and a booking carrying text PostgreSQL refuses.
    _post_json(client, "PATCH", "/api/me", {"address": TEXT["nul"]}, auth)
    _post_json(
        client, "POST", "/api/registrations", {**REGISTRATION, "email": "n@example.org", "last_name": TEXT["nul"]}, {}
    )
    _post_json(client, "POST", "/api/appointments", {**booking(catalogue.open_slot), "first_name": TEXT["nul"]}, {})
    leaks = {}
    for name in system.config.all_instances():
        text = system.log_text(name)
        found = [m.group(0) for m in PARAMETER_DUMPS.finditer(text)] + ([MARK] if MARK in text else [])
        if found:
            leaks[name] = found[:5]
    assert leaks == {}
