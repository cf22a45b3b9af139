"""Hostile input on every operation of the gateway's public JSON API, then the logs it may have spilled into.

The operations are those the fuzz check composes (bench/verify/fuzz.py: the services' OpenAPI documents under
the gateway's routing table). Each is sent, anonymous, as a citizen and as a clerk, with a plausible request in
which one field at a time (body property, query parameter, path parameter) holds a NUL byte, a lone UTF-16
surrogate (JSON "\\ud800") or, for a date, year 1 at +14:00 and year 9999 at -14:00; every operation taking a
body also gets a 20 MB body, declared (Content-Length) and streamed (chunked). The attack succeeds on any
5xx: before issue 18's finding 11 a NUL in a name, an address or a login identifier was a 500 whose failed
INSERT (e-mail, phone, birth date, encrypted NAM and its HMAC, password hash) went to the log, a year-1 date
was a 500, and a 300 MB body was read whole into memory. Then every log of the run is scanned for SQL
parameter dumps and for the values the probe sent, and each log file must be private (0600). The portal's and
console's forms get the same (a NUL in each field, year 1 in each date) from signed-in browsers: never a 5xx,
and a refusal is a page, not JSON.

On the code before the fix it saw 36 server errors out of 1,032 requests (NUL in a name or an address: 500;
a lone surrogate: 503; year 1 or 9999 on /api/slots: 500), twelve 20 MB bodies read whole, the accounts
log holding a failed INSERT's parameters and the values sent, and every log file 0644. After: none.
"""

import json
import re
import select
import socket
import stat
import uuid
from collections import Counter
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from fastapi.dependencies.utils import _get_flat_body_params

from bench.verify.environment import VerifyEnvironment
from bench.verify.fuzz import compose_openapi
from devstack.testing.apps import api_routes
from gateway.csrf import FORM_FIELD
from gateway.main import create_app
from gateway.settings import GatewaySettings
from tests.e2e.accounts_flow import PASSWORD
from tests.e2e.clinic_staff import STAFF_PASSWORD, console_code

MARK = "hx" + uuid.uuid4().hex[:10]  # in every hostile value: found in a log, a value leaked
TEXTS = {"nul": f"{MARK}\x00a", "surrogate": f"{MARK}\ud800a"}
DATES = {"date": ("0001-01-01", "9999-12-31"), "date-time": ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00")}
OVERSIZED = 20 * 1024 * 1024
# How SQLAlchemy and asyncpg word a statement's parameters or the row values of a failed one.
PARAMETER_DUMPS = re.compile(
    r"\[parameters: |parameters: [(\[{]|query argument \$\d+: |DETAIL: +Key \(|\[SQL: [^\]]*\$1"
)
METHODS = ("get", "post", "put", "patch", "delete")
_PARAM = re.compile(r"\{[^}]+\}")
# Page path parameters that are words, not ids: a value the route takes, so the form itself is what is judged.
PATH_WORDS = {"{attendance}": "arrived", "{action}": "cancel"}


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _variants(schema: dict[str, Any], document: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema, document)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return [_resolve(option, document) for option in options if option.get("type") != "null"]
    return [schema]


def _named(name: str | None) -> str | None:
    """A valid value for the text fields whose format the services check, so that a request with one hostile
    field is refused for that field (or reaches the database with it, as before the fix), not for another."""
    if name is None:
        return None
    if "email" in name or name == "identifier":
        return f"hostile.{uuid.uuid4().hex[:8]}@example.org"
    if "phone" in name:
        return "514 555 0199"
    if "password" in name:
        return PASSWORD
    return {"first_name": "Léa", "last_name": "Roy", "postal_code": "H2X 1Y4", "code": "123456"}.get(name)


def _plausible(schema: dict[str, Any], document: dict[str, Any], depth: int = 0, name: str | None = None) -> Any:
    """A value of the schema's type that would pass: an object gets its required properties and an e-mail (the
    contact most requests need), so that the one hostile field is what is judged."""
    variants = _variants(schema, document)
    schema = variants[0] if variants else {}
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind, form = schema.get("type"), schema.get("format")
    if kind == "object" and depth < 3:
        wanted = set(schema.get("required", [])) | {"email"}
        properties = {key: sub for key, sub in schema.get("properties", {}).items() if key in wanted}
        return {key: _plausible(sub, document, depth + 1, key) for key, sub in properties.items()}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    by_format = {"uuid": str(uuid.uuid4()), "date": "1980-01-01", "date-time": "2030-01-01T10:00:00-05:00"}
    return by_format.get(form) or _named(name) or "x"


def _hostile_values(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, str]:
    """label -> value for one field: the texts for any field, the extreme dates for a date."""
    values = {f"text:{kind}": text for kind, text in TEXTS.items()}
    for variant in _variants(schema, document):
        for form in ("date", "date-time"):
            if variant.get("format") == form:
                values |= {f"{form}:{value[:4]}": value for value in DATES[form]}
    return values


def _send(client: httpx.Client, method: str, path: str, query: str, body: Any, headers: dict[str, str]) -> int:
    # json.dumps escapes NUL and a lone surrogate as \u0000 and \ud800, as any JSON client would send them.
    content = None if body is None else json.dumps(body).encode()
    sent_headers = {**headers, **({"content-type": "application/json"} if content is not None else {})}
    url = path + (f"?{query}" if query else "")
    try:
        return client.request(method.upper(), url, content=content, headers=sent_headers).status_code
    except httpx.HTTPError:
        return 0  # no answer at all: recorded apart, not as a 5xx


def _query(params: dict[str, str]) -> str:
    # Percent-encoded from UTF-8; a lone surrogate, which UTF-8 cannot hold, goes as its bytes (surrogatepass).
    return "&".join(
        f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}" for name, value in params.items()
    )


def _oversized(base: str, method: str, path: str, headers: dict[str, str], chunked: bool) -> tuple[int, int]:
    """(status, bytes sent before the answer) for a 20 MB body, declared in Content-Length or streamed chunked,
    sent as a client that reads the answer as soon as one comes."""
    parts = urlsplit(base)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {OVERSIZED}"
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        conn.sendall(
            f"{method.upper()} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{head}"
            f"Content-Type: application/json\r\n{framing}\r\n\r\n".encode()
        )
        chunk, sent = b"x" * 65536, 0
        while sent < OVERSIZED and not select.select([conn], [], [], 0)[0]:
            try:
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            except OSError:
                break  # closed by the server: its answer is waiting
            sent += len(chunk)
        if sent >= OVERSIZED and chunked:
            conn.sendall(b"0\r\n\r\n")
        try:
            answer = conn.recv(4096)
        except OSError:
            return 0, sent
    fields = answer.split(b" ", 2)
    return (int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0), sent


def _page_forms() -> list[tuple[str, list[str]]]:
    """(path with made-up ids, form field names) of every page the gateway answers a form post on (but logging
    out, which would end the browser's session for the forms after it)."""
    app = create_app(GatewaySettings(insecure_cookies=True))
    forms = []
    for route in api_routes(app.routes):
        if "POST" not in route.methods or route.path.startswith("/api") or route.path.endswith("/logout"):
            continue
        fields = [field.alias for field in _get_flat_body_params(route.dependant)]
        path = _PARAM.sub(lambda match: PATH_WORDS.get(match.group(0), str(uuid.uuid4())), route.path)
        forms.append((path, fields))
    return sorted(forms)


def _browser(env: VerifyEnvironment, login_page: str, fields: dict[str, str]) -> httpx.Client:
    browser = httpx.Client(base_url=env.gateway, timeout=30, follow_redirects=False)
    browser.get(login_page)
    answer = browser.post(login_page, data={**fields, FORM_FIELD: _csrf(browser)}, headers={"origin": env.gateway})
    assert answer.status_code == 303, f"{login_page}: {answer.status_code}"
    if login_page == "/admin/login":  # staff: the second factor's code, then signed in
        console_code(browser, fields["email"])
    return browser


def _csrf(browser: httpx.Client) -> str:
    return browser.cookies.get("__Host-csrf") or browser.cookies.get("csrf") or ""


def _probe_pages(env: VerifyEnvironment, citizen_email: str) -> dict[str, Any]:
    """Each form field of each page, posted by a signed-in browser with this origin and its CSRF token, holding
    a NUL (a lone surrogate cannot be sent in a form: browsers encode UTF-8) or, for a date, year 1."""
    clinic = env.clinics[0]
    browsers = {
        "citizen": _browser(env, "/account/login", {"identifier": citizen_email, "password": PASSWORD}),
        "clerk": _browser(env, "/admin/login", {"email": clinic.clerk_email, "password": STAFF_PASSWORD}),
    }
    server_errors, not_pages, statuses, tried = [], [], Counter(), 0
    for path, fields in _page_forms():
        browser = browsers["clerk" if path.startswith("/admin") else "citizen"]
        for field in fields:
            if field == FORM_FIELD:
                continue
            values = {"nul": TEXTS["nul"]} | ({"year 1": "0001-01-01"} if "date" in field or field == "day" else {})
            for label, value in values.items():
                form = {name: "x" for name in fields} | {FORM_FIELD: _csrf(browser), field: value}
                tried += 1
                answer = browser.post(path, data=form, headers={"origin": env.gateway})
                statuses[answer.status_code] += 1
                if answer.status_code >= 500:
                    server_errors.append(f"POST {path} {field}={label}: {answer.status_code}")
                elif answer.status_code >= 400 and "text/html" not in answer.headers.get("content-type", ""):
                    not_pages.append(
                        f"POST {path} {field}={label}: {answer.status_code} {answer.headers.get('content-type')}"
                    )
    for browser in browsers.values():
        browser.close()
    return {
        "forms": tried,
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "server_errors": server_errors[:50],
        "refusals_not_pages": not_pages[:50],
    }


def _operations(env: VerifyEnvironment) -> tuple[dict[str, Any], list[tuple[str, str, dict[str, Any]]]]:
    services = ("accounts", "appointments", "verification")
    documents = {name: httpx.get(f"{env.stack.config.url(name)}/openapi.json", timeout=10).json() for name in services}
    composed = compose_openapi(documents, str(env.clinics[0].catalogue.establishment_id))
    found = []
    for path, operations in composed["paths"].items():
        for method, operation in operations.items():
            if method in METHODS:
                found.append((method, path, operation))
    return composed, found


def _path_with(path: str, operation: dict[str, Any], document: dict[str, Any], hostile: tuple[str, str] | None) -> str:
    filled = path
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "path":
            continue
        schema = parameter.get("schema", {})
        value = str(schema["enum"][0]) if "enum" in schema else str(_plausible(schema, document))
        if hostile is not None and hostile[0] == parameter["name"]:
            value = hostile[1]
        filled = filled.replace("{" + parameter["name"] + "}", quote(value.encode("utf-8", "surrogatepass"), safe=""))
    return filled


def _attempts(
    path: str, operation: dict[str, Any], document: dict[str, Any], known: dict[str, str]
) -> list[tuple[str, str, str, Any]]:
    """(label, path, query, body): a plausible request with one hostile field, for each field and value.
    `known`: real values for body fields that must name something that exists (a slot with seats)."""
    parameters = operation.get("parameters", [])
    body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    base_body = _plausible(body_schema, document) if body_schema else None
    if isinstance(base_body, dict):
        base_body |= {name: value for name, value in known.items() if name in base_body}
    properties = _resolve(body_schema, document).get("properties", {}) if isinstance(base_body, dict) else {}
    queried = [p for p in parameters if p.get("in") == "query"]
    base_query = {p["name"]: str(_plausible(p.get("schema", {}), document)) for p in queried if p.get("required")}
    plain_path, plain_query = _path_with(path, operation, document, None), _query(base_query)
    attempts = []
    for name, schema in properties.items():
        for label, value in _hostile_values(schema, document).items():
            attempts.append((f"body.{name}={label}", plain_path, plain_query, {**base_body, name: value}))
    for parameter in queried:
        for label, value in _hostile_values(parameter.get("schema", {}), document).items():
            query = _query({**base_query, parameter["name"]: value})
            attempts.append((f"query.{parameter['name']}={label}", plain_path, query, base_body))
    for parameter in (p for p in parameters if p.get("in") == "path"):
        for label, value in _hostile_values(parameter.get("schema", {}), document).items():
            hostile_path = _path_with(path, operation, document, (parameter["name"], value))
            attempts.append((f"path.{parameter['name']}={label}", hostile_path, plain_query, base_body))
    return attempts


def probe(env: VerifyEnvironment) -> dict[str, Any]:
    person = env.new_citizen()
    citizen = person.headers
    # The clerk of the clinic the composed document's staff paths name, so that staff requests reach validation.
    clerk = env.staff_headers(env.clinics[0].clerk_email)
    document, operations = _operations(env)
    known = {"slot_id": str(env.clinics[0].catalogue.open_slot)}
    server_errors: list[str] = []
    unanswered: list[str] = []
    tried = 0
    statuses: Counter[int] = Counter()
    oversized: dict[str, Any] = {"declared": {}, "streamed": {}}
    with httpx.Client(base_url=env.gateway, timeout=30) as client:
        for method, path, operation in operations:
            attempts = _attempts(path, operation, document, known)
            # Everyone tries everything; the audience the path is for gets past the gateway to the validation.
            for audience, headers in (("anonymous", {}), ("citizen", citizen), ("staff", clerk)):
                for label, sent_path, query, body in attempts:
                    tried += 1
                    status = _send(client, method, sent_path, query, body, {"accept-language": "en", **headers})
                    statuses[status] += 1
                    if status >= 500:
                        server_errors.append(f"{audience} {method.upper()} {path} {label}: {status}")
                    elif status == 0:
                        unanswered.append(f"{audience} {method.upper()} {path} {label}")
            if method not in ("post", "put", "patch"):
                continue
            target = _path_with(path, operation, document, None)
            for audience, headers in (("anonymous", {}), ("citizen", citizen)):
                declared, _ = _oversized(env.gateway, method, target, headers, chunked=False)
                streamed, sent = _oversized(env.gateway, method, target, headers, chunked=True)
                tried += 2
                key = f"{audience} {method.upper()} {path}"
                oversized["declared"][key] = declared
                oversized["streamed"][key] = {"status": streamed, "bytes_sent_before_answer": sent}
                for kind, status in (("declared", declared), ("streamed", streamed)):
                    statuses[status] += 1
                    # 413, or refused for who is asking before the body is read (401, 403): either is a refusal.
                    if status >= 500:
                        server_errors.append(f"{key} {kind} 20 MB body: {status}")
                    elif status not in (401, 403, 413):
                        unanswered.append(f"{key} {kind} 20 MB body: {status or 'no answer'}")
    pages = _probe_pages(env, person.email)
    not_refused_oversized = [k for k, v in oversized["streamed"].items() if v["bytes_sent_before_answer"] >= OVERSIZED]

    dumps, leaked_values, readable_logs = [], [], []
    for log in sorted(env.log_dir.glob("*.log")):
        text = log.read_text(errors="replace")
        dumps += [f"{log.name}: {match.group(0)}" for match in PARAMETER_DUMPS.finditer(text)][:5]
        if MARK in text:
            leaked_values.append(log.name)
        if stat.S_IMODE(log.stat().st_mode) & 0o077:
            readable_logs.append(f"{log.name}: {oct(stat.S_IMODE(log.stat().st_mode))}")
    passed = bool(operations) and not (
        server_errors
        or unanswered
        or not_refused_oversized
        or dumps
        or leaked_values
        or readable_logs
        or pages["server_errors"]
        or pages["refusals_not_pages"]
    )
    return {
        "passed": passed,
        "operations": len(operations),
        "requests": tried,
        "tried": [
            "NUL and lone surrogate in every body property, query and path parameter",
            "year 1 at +14:00 and year 9999 at -14:00 in every date",
            "20 MB bodies, declared and streamed",
            "as anonymous, a citizen and a clerk",
        ],
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "server_errors": server_errors[:50],
        "server_error_count": len(server_errors),
        "unanswered_or_not_413": unanswered[:50],
        "oversized_read_whole": not_refused_oversized,
        "oversized_streamed_bytes_max": max(
            (v["bytes_sent_before_answer"] for v in oversized["streamed"].values()), default=0
        ),
        "pages": pages,
        "logs_with_parameter_dumps": dumps[:20],
        "logs_with_sent_values": leaked_values,
        "logs_readable_by_others": readable_logs,
    }
