"""Every HTML form of the portal and the console, as an anonymous visitor, a signed-in citizen and a signed-in
staff member, submitted empty, oversized and with malformed values: never a 5xx, and a whole HTML page.

The forms are not listed here: the test follows the links of the pages from `/`, a search with the test clinic's
postal code (which leads to a booking page), `/account` and `/admin`, and reads each page's forms, so a form
added by a page is fuzzed without anyone remembering to. Each submission carries the form's CSRF token and this
site's Origin, so it reaches the route's handler rather than the CSRF guard.
"""

import html
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote_plus, urljoin, urlsplit

import httpx
import pytest

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from gateway.csrf import FORM_FIELD, STALE_FORM
from shared.logging import CORRELATION_HEADER
from tests.e2e.accounts_flow import PASSWORD, active_account, wait_until
from tests.e2e.clinic_staff import STAFF_PASSWORD, add_staff, console_code, slot_soon, staff_auth
from tests.e2e.conftest import Catalogue, booking

CITIZEN_EMAIL = "formulaires@example.org"
CITIZEN_NAM = "TEST54122816"  # Thomas Testeur, born 1954-12-28: the account helpers' holder
STAFF_EMAIL = "gestion@rosemont.example"
MANAGE_ACTIONS = ("cancel", "confirm")  # the links of a confirmation message, for a booking without account
POSTAL_CODE = "H1T 2H1"  # the test clinic's
MAX_PAGES = 60  # per identity: far more than the portal and console have, a stop if links ever multiply
TEXT_TYPES = frozenset({"text", "email", "tel", "password", "search", "url", "number", "date", "textarea", ""})
LIBRARIES = ("jinja2/", "fastapi/", "starlette/", "pydantic/", "sqlalchemy/", "asyncpg/", "anyio/")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Raw(str):
    """A value already percent-encoded for the body, sent as is: bytes no Python str can hold (a lone
    surrogate's UTF-8, invalid UTF-8)."""


# (name, value) pairs, each put in every field a form has.
MALFORMED: list[tuple[str, str]] = [
    ("nul byte", Raw("a%00b")),
    ("sql", "'; DROP TABLE appointments; --"),
    ("impossible date", "2026-02-30"),
    ("emoji", "🙂" * 50),
    ("negative", "-1"),
    ("overflowing float", "1e309"),
    ("lone surrogate", Raw("%ED%B3%BF")),
    ("invalid utf-8", Raw("%FF%FE")),
    ("markup", '<script>alert(1)</script>"><img src=x>'),
    ("uuid-like", "00000000-0000-0000-0000-00000000000g"),
]
LONG = "é" * 5000
HUGE = "a" * (2 << 20)  # 2 MiB: past the gateway's 1 MiB form limit


@dataclass
class Field:
    name: str
    kind: str  # the input's type, or "textarea", "select", "button"
    value: str

    @property
    def visible(self) -> bool:
        return self.kind not in {"hidden", "button", "submit"}


@dataclass
class Form:
    method: str
    action: str  # absolute URL
    fields: list[Field] = field(default_factory=list)

    def baseline(self) -> dict[str, str]:
        """What a visitor would send without typing: hidden values, the first choice of radios and selects."""
        values: dict[str, str] = {}
        for f in self.fields:
            values.setdefault(f.name, f.value)
        return values

    @property
    def token(self) -> str | None:
        return self.baseline().get(FORM_FIELD)


class PageReader(HTMLParser):
    """The links and forms of a page (the standard library's parser: no dependency for this)."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "option":
            if self._select is not None and not self._select.value:
                self._select.value = a.get("value", "")
        elif tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        elif tag == "form":
            self._form = Form((a.get("method") or "get").lower(), urljoin(self.url, a.get("action") or self.url))
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in {"checkbox", "radio"}:
                a.setdefault("value", "on")
            if kind not in {"file", "image", "reset"}:
                self._form.fields.append(Field(a["name"], kind, a.get("value", "")))
        elif tag == "button":
            self._form.fields.append(Field(a["name"], "button", a.get("value", "")))
        elif tag == "select":
            self._select = Field(a["name"], "select", "")
            self._form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea", "")
            self._form.fields.append(self._textarea)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def read_page(url: str, html: str) -> PageReader:
    reader = PageReader(url)
    reader.feed(html)
    reader.close()
    return reader


@dataclass
class Finding:
    identity: str
    form: str
    case: str
    status: int
    problem: str
    correlation_id: str = ""

    def __str__(self) -> str:
        return f"{self.identity:9} {self.form:60} {self.case:34} {self.status}: {self.problem}"


def unhandled_errors(system: Supervisor) -> dict[str, str]:
    """correlation id -> the error a service logged for it, where it was raised: what a 5xx came from."""
    errors: dict[str, str] = {}
    for name in system.config.ports:
        for line in system.log_text(name).splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("event") == "unhandled_error":
                # The innermost frame of the project's own code (or template), not the library's that raised.
                frames = [w for w in entry.get("where") or ["?"] if not w.startswith(LIBRARIES)] or ["?"]
                where = frames[-1]
                errors.setdefault(entry.get("correlation_id", ""), f"{entry.get('error')} at {where} ({name})")
    return errors


def _encode(pairs: dict[str, str]) -> str:
    return "&".join(
        f"{quote_plus(name)}={value if isinstance(value, Raw) else quote_plus(value)}" for name, value in pairs.items()
    )


def cases(form: Form) -> Iterator[tuple[str, dict[str, str]]]:
    """(name, values) of each submission of `form`; the CSRF token is always the form's own."""
    base = form.baseline()
    names = [name for name in base if name != FORM_FIELD]
    visible = {f.name for f in form.fields if f.visible and f.name != FORM_FIELD}
    texts = [f.name for f in form.fields if f.kind in TEXT_TYPES and f.name != FORM_FIELD]
    token = {FORM_FIELD: base[FORM_FIELD]} if FORM_FIELD in base else {}

    yield "empty", {**dict.fromkeys(names, ""), **token}
    # A GET form's values travel in the URL, which httpx caps at 64 KiB: one long field at a time there.
    long_ones = texts if form.method == "post" else texts[:1]
    yield "5000 characters", {**base, **dict.fromkeys(long_ones, LONG), **token}
    for name in texts[1:] if form.method != "post" else []:
        yield f"5000 characters in {name}", {**base, name: LONG, **token}
    if form.method == "post":  # a 2 MiB URL is the HTTP server's to refuse, not the page's
        yield "2 MiB", {**base, (texts or names or ["x"])[0]: HUGE, **token}
    for label, value in MALFORMED:
        # Every field, hidden ones included (ids, slots, keys), then only what a visitor types or picks,
        # so the typed values reach the handler's own validation past valid hidden ids.
        yield f"{label} everywhere", {**dict.fromkeys(names, value), **token}
        if visible and visible != set(names):
            yield f"{label} in visible fields", {**base, **dict.fromkeys(visible, value), **token}


def refused_by_csrf_guard(response: httpx.Response) -> bool:
    return response.status_code == 403 and STALE_FORM.en in html.unescape(response.text)


def _is_html_route(url: str) -> bool:
    return not urlsplit(url).path.startswith(("/api/", "/static/"))


def _whole_page_problem(response: httpx.Response) -> str | None:
    if response.is_redirect or response.status_code == 204:
        return None
    if not response.headers.get("content-type", "").startswith("text/html"):
        return f"answered {response.headers.get('content-type', 'no content type')}, not HTML"
    if not re.search(r"<html[^>]*\blang=", response.text[:2000], re.IGNORECASE):
        return "answered an HTML fragment, not a whole page with its language"
    return None


@dataclass
class Visitor:
    identity: str
    client: httpx.Client
    origin: str
    findings: list[Finding] = field(default_factory=list)
    pages: dict[str, PageReader] = field(default_factory=dict)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)  # per form: shows what the cases reached

    def crawl(self, starts: list[str]) -> list[Form]:
        """The forms of every page reachable by links from `starts`, one per (method, action, fields) shape."""
        queue = [urljoin(self.origin, path) for path in starts]
        forms: dict[tuple[str, str, tuple[str, ...]], Form] = {}
        shapes: set[tuple[str, tuple[str, ...]]] = set()
        while queue and len(self.pages) < MAX_PAGES:
            url = queue.pop(0)
            # One page per path and query names: the day list's previous/next links would otherwise lead on day
            # after day. Ids stay apart: an appointment's page shows other forms than a cancelled one's.
            parts = urlsplit(url)
            shape = (parts.path, tuple(sorted(parse_qs(parts.query, keep_blank_values=True))))
            if shape in shapes or not self._in_scope(url):
                continue
            shapes.add(shape)
            response = self.client.get(url, follow_redirects=True)
            self.pages[url] = reader = read_page(str(response.url), response.text)
            if response.status_code >= 500:
                correlation = response.headers.get(CORRELATION_HEADER, "")
                self.findings.append(
                    Finding(self.identity, f"GET {_path(url)}", "link", response.status_code, "5xx", correlation)
                )
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue  # a calendar file, a PDF
            queue += [link for link in reader.links if link not in self.pages]
            for form in reader.forms:
                # One per shape: the same "Présent" button on each row, the language switch on each page.
                form_shape = (form.method, UUID.sub("<id>", _path(form.action)), tuple(sorted(form.baseline())))
                forms.setdefault(form_shape, form)
        return sorted(forms.values(), key=lambda f: (_ends_session(f), f.action))

    def _in_scope(self, url: str) -> bool:
        parts = urlsplit(url)
        return (
            f"{parts.scheme}://{parts.netloc}" == self.origin
            and _is_html_route(url)
            and "lang=" not in parts.query  # the same pages in English: same forms
        )

    def fuzz(self, form: Form) -> None:
        label = f"{form.method.upper()} {_path(form.action)}"
        statuses = self.statuses.setdefault(label, Counter())
        for case, values in cases(form):
            if form.method == "post":
                response = self.client.post(
                    form.action,
                    content=_encode(values).encode("ascii"),
                    headers={"content-type": "application/x-www-form-urlencoded", "origin": self.origin},
                )
            else:
                response = self.client.get(form.action.split("?")[0] + "?" + _encode(values))
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                correlation = response.headers.get(CORRELATION_HEADER, "")
                self.findings.append(Finding(self.identity, label, case, response.status_code, "5xx", correlation))
            elif _is_html_route(form.action) and (problem := _whole_page_problem(response)):
                self.findings.append(Finding(self.identity, label, case, response.status_code, problem))
            if refused_by_csrf_guard(response) and form.token:
                # The test's own fault, not the page's: the submission never reached the handler.
                self.findings.append(Finding(self.identity, label, case, 403, "refused by the CSRF guard"))


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _ends_session(form: Form) -> bool:
    """Signing out or deleting the account goes last: the forms after it would only meet the sign-in page."""
    return _path(form.action).rstrip("/").endswith(("/logout", "/delete"))


def sign_in(client: httpx.Client, origin: str, login_path: str, identifier: str, password: str) -> None:
    """Through the page's own sign-in form, whatever its fields are named: the password goes in the password
    field, the identifier in the other field a visitor types in."""
    page = client.get(login_path)
    forms = [f for f in read_page(str(page.url), page.text).forms if any(x.kind == "password" for x in f.fields)]
    assert forms, f"no form with a password field at {login_path} ({page.status_code}): {page.text[:500]}"
    form = forms[0]
    values = form.baseline()
    typed = [f for f in form.fields if f.kind in TEXT_TYPES - {"password"}]
    values[typed[0].name] = identifier
    values.update({f.name: password for f in form.fields if f.kind == "password"})
    answer = client.post(form.action, data=values, headers={"origin": origin})
    assert answer.is_redirect, f"signing in at {login_path} answered {answer.status_code}: {answer.text[:500]}"


def _arrived(client: httpx.Client, catalogue: Catalogue, appointment: str, clerk: dict[str, str]) -> None:
    path = f"/api/admin/establishments/{catalogue.establishment_id}/appointments/{appointment}/arrived"
    assert client.post(path, headers=clerk).status_code == 200


def _family_booking(client: httpx.Client, auth: dict[str, str], slot: str) -> str:
    """A booking for a new family member of the account of `auth`: the association a clinic would validate."""
    dependant = {"first_name": "Lou", "last_name": "Testeur", "birth_date": "2015-01-01", "sex": "M"}
    child = client.post("/api/me/dependants", json=dependant, headers=auth)
    assert child.status_code == 201, child.text
    booked = client.post("/api/my/appointments", json={"slot_id": slot, "person_id": child.json()["id"]}, headers=auth)
    assert booked.status_code == 201, booked.text
    return booked.json()["id"]


@pytest.fixture
def visitors(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink
) -> Iterator[tuple[list[Visitor], list[str]]]:
    """An anonymous visitor holding a booking's manage link, a citizen with an appointment and a family member,
    and a clinic manager whose day list has a patient to mark present and two at the desk, one waiting for the
    identity window and one for the association window: the forms that only such data brings. Also the pages
    only a message links to (the manage links), to start the anonymous crawl from."""
    gateway = system.config.url("gateway")
    origin = f"{urlsplit(gateway).scheme}://{urlsplit(gateway).netloc}"
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, STAFF_EMAIL, "manager"))
    soon_slot = run_sync(slot_soon(urls["appointments"], catalogue.service_id))
    soon = str(soon_slot.id)
    clients = [httpx.Client(base_url=gateway, timeout=30) for _ in range(3)]
    anonymous, citizen, staff = clients
    try:
        clerk = staff_auth(staff, STAFF_EMAIL)
        assert anonymous.post("/api/appointments", json=booking(soon, first_name="Hélène")).status_code == 201
        managed = anonymous.post("/api/appointments", json=booking(catalogue.open_slot, first_name="Rose")).json()
        manage_links = [f"/appointments/{managed['id']}/{a}?token={managed['manage_token']}" for a in MANAGE_ACTIONS]
        # The day the patient is expected: late in Montréal's evening, the slot 30 minutes ahead is tomorrow's.
        manage_links.append(f"/admin?day={soon_slot.day.isoformat()}")

        auth = active_account(citizen, mail_sink, CITIZEN_EMAIL, nam=CITIZEN_NAM)
        own = citizen.post("/api/my/appointments", json={"slot_id": str(catalogue.open_slot)}, headers=auth)
        assert own.status_code == 201, own.text
        _arrived(staff, catalogue, _family_booking(citizen, auth, soon), clerk)  # identity to confirm

        # Another account, whose identity the clinic confirmed: its family member's association is next.
        validated = active_account(staff, mail_sink, "famille.validee@example.org")
        family = _family_booking(staff, validated, soon)
        account_id = staff.get("/api/me", headers=validated).json()["id"]
        identity = {"account_id": account_id, "first_name": "Thomas", "last_name": "Testeur"}
        identity |= {"birth_date": "1954-12-28", "sex": "M", "confirmed": True}
        verification = f"/api/admin/verification/establishments/{catalogue.establishment_id}/identity-validations"
        # Verification hears of the booking an event later: until then the clinic has no patient to validate.
        wait_until(
            lambda: staff.post(verification, json=identity, headers=clerk).status_code == 201,
            message="the clinic could not validate the identity",
        )
        _arrived(staff, catalogue, family, clerk)

        sign_in(citizen, origin, "/account/login", CITIZEN_EMAIL, PASSWORD)
        sign_in(staff, origin, "/admin/login", STAFF_EMAIL, STAFF_PASSWORD)
        console_code(staff, STAFF_EMAIL)
        people = [Visitor("anonymous", anonymous, origin), Visitor("citizen", citizen, origin)]
        yield [*people, Visitor("staff", staff, origin)], manage_links
    finally:
        for client in clients:
            client.close()


def _for(visitor: Visitor, link: str) -> bool:
    """The manage links are the anonymous visitor's; the patient's day list is the staff member's."""
    return (visitor.identity == "staff") == link.startswith("/admin")


def test_every_form_survives_empty_oversized_and_malformed_values(
    system: Supervisor, visitors: tuple[list[Visitor], list[str]], catalogue: Catalogue
):
    started = time.monotonic()
    everyone, manage_links = visitors
    starts = ["/", "/?postal_code=" + quote_plus(POSTAL_CODE), "/account", "/admin"]
    report: list[str] = []
    findings: list[Finding] = []
    # The check that each submission got past the CSRF guard recognises the guard's refusal:
    stale = everyone[0].client.post(
        "/account/login", data={FORM_FIELD: "x" * 43}, headers={"origin": everyone[0].origin}
    )
    assert refused_by_csrf_guard(stale), f"{stale.status_code}: {stale.text[:300]}"
    for visitor in everyone:
        forms = visitor.crawl(starts + [link for link in manage_links if _for(visitor, link)])
        assert forms, f"{visitor.identity} found no form"
        for form in forms:
            visitor.fuzz(form)
        findings += visitor.findings
        submitted = sum(sum(counts.values()) for counts in visitor.statuses.values())
        report.append(f"{visitor.identity}: {len(visitor.pages)} pages, {len(forms)} forms, {submitted} submissions")
        # Shown with -s or on failure: which answers each form gave, to see the cases reached the handlers.
        for label, counts in visitor.statuses.items():
            print(f"{visitor.identity:9} {label:70} {dict(sorted(counts.items()))}")

    anonymous, citizen, staff = everyone
    booking_page = f"{anonymous.origin}/book/{catalogue.service_id}"
    assert booking_page in anonymous.pages, f"the search never led to {booking_page}"
    assert any(path.startswith(f"{anonymous.origin}/account/appointments") for path in citizen.pages), (
        "the citizen's pages never linked to their appointments: not signed in?"
    )
    assert any(label.startswith("POST /admin/appointments/") for label in staff.statuses), (
        "the staff member's day list showed no attendance form: not signed in?"
    )
    for step in ("identity", "association"):
        assert any(label.endswith(f"/{step}/confirm") for label in staff.statuses), f"no {step} window was reached"
    errors = unhandled_errors(system)
    for finding in findings:
        if finding.correlation_id in errors:
            finding.problem = f"5xx: {errors.pop(finding.correlation_id)}"
    # A 5xx whose answer carried no correlation id: its error is still in the logs.
    unmatched = sorted(set(errors.values()))
    if unmatched:
        report.append("errors logged: " + ", ".join(unmatched))
    assert not findings, (
        f"{len(findings)} submission(s) went wrong ({'; '.join(report)}, {time.monotonic() - started:.0f} s):\n"
        + "\n".join(map(str, findings))
    )
