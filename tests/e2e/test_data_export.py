"""My data (issue 22, item 3; Québec Law 25's portability): a citizen's data is filled in every service
(registration, a dependant, bookings, a clerk's validation, an association request, notices sent, a waitlist
entry with an offer), then exported. Every column each service declares exported (services/*/export/rules.py) of
every row about the account appears in the document, which validates against the published JSON Schema; the
page's links refuse another session, an expired or forged link; after the account's deletion the export is
refused."""

import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from html import unescape
from typing import Any

import asyncpg
import httpx
import jsonschema

from devstack import export_schema
from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor, stack_setting
from devstack.testing.fixtures import run_sync
from gateway.auth import Principal
from gateway.data_export import LINK_SECONDS, sign_link
from shared.export_coverage import PersonalTable
from shared.nam import build_nam
from tests.e2e.accounts_flow import PASSWORD, active_account, wait_until
from tests.e2e.clinic_staff import add_staff, slot_soon, staff_auth
from tests.e2e.conftest import add_slot
from tests.e2e.forms import submit

EMAIL = "mes.donnees@example.org"
KID_BIRTH = date(2017, 6, 2)
KID = {"first_name": "Éloïse", "last_name": "Testeur", "birth_date": KID_BIRTH.isoformat(), "sex": "F"}
KID_NAM = build_nam("TESE", KID_BIRTH, "F", "1")
SERVICES = ("accounts", "appointments", "verification", "notifications")


def _coverage(service: str) -> dict[str, Any]:
    import importlib

    return dict(importlib.import_module(f"services.{service}.export.rules").COVERAGE)


async def _rows(urls: dict[str, str], account_id: uuid.UUID) -> dict[str, list[tuple[str, str, Any]]]:
    """service -> (table, column, value) of every exported column of every row about the account."""
    found: dict[str, list[tuple[str, str, Any]]] = {}
    for service in SERVICES:
        conn = await asyncpg.connect(urls[service].replace("+asyncpg", ""))
        try:
            found[service] = []
            for table, declared in _coverage(service).items():
                if not isinstance(declared, PersonalTable):
                    continue
                columns = ", ".join(f'"{c}"' for c in declared.exported)
                if declared.owner is None:
                    rows = await conn.fetch(f'SELECT {columns} FROM "{table}"')
                else:
                    rows = await conn.fetch(
                        f'SELECT {columns} FROM "{table}" WHERE "{declared.owner}" = $1', account_id
                    )
                for row in rows:
                    found[service] += [(table, column, row[column]) for column in declared.exported]
        finally:
            await conn.close()
    return found


def _leaves(document: Any) -> list[Any]:
    if isinstance(document, dict):
        return [leaf for value in document.values() for leaf in _leaves(value)] + [document]
    if isinstance(document, list):
        return [leaf for value in document for leaf in _leaves(value)] + [document]
    return [document]


def _appears(value: Any, leaves: list[Any]) -> bool:
    """A database value, as the JSON document writes it."""
    if value is None:
        return True  # an empty column: nothing to find
    for leaf in leaves:
        if isinstance(value, (bool, int)):
            if leaf is value or (type(leaf) is type(value) and leaf == value):
                return True
        elif isinstance(value, datetime):
            written = isinstance(leaf, str) and leaf[:4].isdigit() and "T" in leaf
            if written and datetime.fromisoformat(leaf.replace("Z", "+00:00")) == value:
                return True
        elif isinstance(value, (date, uuid.UUID)):
            if leaf == str(value) if not isinstance(value, date) else leaf == value.isoformat():
                return True
        elif isinstance(value, (list, dict)):
            if leaf == value:
                return True
        elif isinstance(value, str) and (value.startswith("{") and value.endswith("}")):
            if leaf == json.loads(value):  # JSONB read as text
                return True
        elif leaf == value:
            return True
    return False


async def _add_waitlist(
    url: str, service_id: uuid.UUID, slot_id: uuid.UUID, account_id: str, kid: dict, email: str = EMAIL
) -> None:
    """An entry and its offer as the waitlist's own use cases write them (issue 22, item 1)."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        entry = uuid.uuid4()
        today = datetime.now(UTC).date()
        await conn.execute(
            "INSERT INTO waitlist_entries (id, service_id, account_id, person_id, person_key, first_name, last_name,"
            " birth_date, sex, holder_name, email, phone, language, notify_email, notify_sms, from_date, to_date,"
            " times_of_day, status) VALUES ($1, $2, $3, $4, $11, $5, $6, $7, 'F', 'Thomas Testeur',"
            " $8, '+15145550199', 'fr', true, true, $9, $10, ARRAY['morning', 'evening'], 'offered')",
            entry,
            service_id,
            uuid.UUID(account_id),
            uuid.UUID(kid["id"]),
            kid["first_name"],
            kid["last_name"],
            date.fromisoformat(kid["birth_date"]),
            email,
            today,
            today + timedelta(days=20),
            kid["id"],
        )
        await conn.execute(
            "INSERT INTO waitlist_offers (id, entry_id, slot_id, status, expires_at, token_hash)"
            " VALUES ($1, $2, $3, 'open', now() + interval '15 minutes', 'not-a-token')",
            uuid.uuid4(),
            entry,
            slot_id,
        )
    finally:
        await conn.close()


def _quiet(urls: dict[str, str]) -> bool:
    """Every notice handed to its channel: no delivery or reminder row changes under the comparison."""

    async def pending() -> int:
        conn = await asyncpg.connect(urls["notifications"].replace("+asyncpg", ""))
        try:
            return int(await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'pending'"))
        finally:
            await conn.close()

    return run_sync(pending()) == 0


def test_every_exported_column_of_every_service_appears_and_the_document_validates(
    system: Supervisor, clinics, mail_sink: MailSink
):
    x, _, slots = clinics
    urls = system.config.database_urls
    schema = json.loads(export_schema.DOCUMENT.read_text())
    with httpx.Client(base_url=system.config.url("gateway"), timeout=30) as client:
        citizen = active_account(client, mail_sink, EMAIL, nam="TEST54122816", phone="514 555-0142")
        account_id = client.get("/api/me", headers=citizen).json()["id"]
        kid = client.post("/api/me/dependants", json={**KID, "nam": KID_NAM}, headers=citizen).json()
        soon = str(slots[x.establishment_id].id)
        for person in (None, kid["id"]):
            booked = client.post("/api/my/appointments", json={"slot_id": soon, "person_id": person}, headers=citizen)
            assert booked.status_code == 201, booked.text
        later = add_slot(system, x, days=4, hour_utc=15, capacity=3)
        run_sync(_add_waitlist(urls["appointments"], x.service_id, later, account_id, kid))
        # Days away: a reminder is planned for it.
        booked = client.post("/api/my/appointments", json={"slot_id": str(later)}, headers=citizen)
        assert booked.status_code == 201, booked.text

        clerk = staff_auth(client, "x@clinique-x.example")
        base = f"/api/admin/verification/establishments/{x.establishment_id}"
        identity = {"account_id": account_id, "first_name": "Thomas", "last_name": "Testeur"}
        identity |= {"birth_date": "1954-12-28", "sex": "M", "confirmed": True}
        wait_until(
            lambda: client.post(f"{base}/identity-validations", json=identity, headers=clerk).status_code == 201,
            message="the clinic never learnt of the appointment",
        )
        filed = client.post("/api/my/association-requests", json={"person_id": kid["id"]}, headers=citizen)
        assert filed.status_code == 201, filed.text
        accept = {**{k: KID[k] for k in ("first_name", "last_name", "birth_date")}, "confirmed": True}
        accepted = client.post(f"{base}/association-requests/{filed.json()['id']}/accept", json=accept, headers=clerk)
        assert accepted.status_code == 200, accepted.text
        # A change waiting for its code.
        change = {"kind": "email", "new_value": "nouvelle.adresse@example.org", "current_password": PASSWORD}
        assert client.post("/api/me/sensitive-changes", json=change, headers=citizen).status_code == 202

        def exported() -> dict[str, Any]:
            answer = client.get("/api/my/export", headers=citizen)
            assert answer.status_code == 200, answer.text
            return answer.json()

        # Confirmations and the validation's audit row are an event away.
        wait_until(
            lambda: (
                len(exported()["notifications"]["notices"]) >= 3
                and exported()["verification"]["audit"]
                and exported()["account"]["validated_dependants"]
            ),
            timeout=20,
            message="the notices sent never reached the export",
        )
        wait_until(lambda: _quiet(urls), timeout=20, message="notices still pending")

        rows = run_sync(_rows(urls, uuid.UUID(account_id)))
        started = time.monotonic()
        answer = client.get("/api/my/export", headers=citizen)
        assert time.monotonic() - started < 5, "assembly must complete well within a minute"
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/json")
        assert "attachment" in answer.headers["content-disposition"]
        document = answer.json()

    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    leaves = _leaves(document)
    missing = [
        f"{service}.{table}.{column}={value!r}"
        for service, found in rows.items()
        for table, column, value in found
        if not _appears(value, leaves)
    ]
    assert not missing, f"declared exported, absent from the document: {missing}"
    # Every personal table of every service contributed at least one row to this person's export.
    contributed = {(service, table) for service, found in rows.items() for table, _, _ in found}
    expected = {
        ("accounts", "accounts"), ("accounts", "dependants"), ("accounts", "session_families"),
        ("accounts", "pending_changes"), ("accounts", "validated_dependants"),
        ("appointments", "appointments"), ("appointments", "waitlist_entries"), ("appointments", "waitlist_offers"),
        ("verification", "challenges"), ("verification", "identity_validations"),
        ("verification", "association_requests"), ("verification", "association_validations"),
        ("verification", "audit_log"),
        ("notifications", "deliveries"), ("notifications", "reminders"),
    }  # fmt: skip
    assert expected <= contributed, expected - contributed

    account = document["account"]
    assert account["profile"]["nam"].endswith("2816")
    assert "TEST5412" not in json.dumps(document)
    assert {d["first_name"] for d in account["dependants"]} == {"Éloïse"}
    assert {a["first_name"] for a in document["appointments"]["appointments"]} == {"Thomas", "Éloïse"}
    assert document["establishments"][0]["name"] == "Clinique Test Rosemont"
    kinds = {n["kind"] for n in document["notifications"]["notices"]}
    assert "appointment_booked" in kinds or any("book" in k for k in kinds), kinds
    # Who read the record: at least the clerk's validation, by role.
    accesses = document["verification"]["record_access"]
    assert accesses, "the clerk's validation is an access to the record"
    assert {entry["staff_role"] for entry in accesses} == {"clerk"}
    text = json.dumps(document)
    for secret in ("password_hash", "token_hash", "nam_hmac", "code_hash", "manage_token", PASSWORD, KID_NAM):
        assert secret not in text
    for name in (*SERVICES, "gateway"):
        assert "TEST54122816" not in system.log_text(name), name
        assert KID_NAM not in system.log_text(name), name


def _page_session(client: httpx.Client, email: str) -> None:
    page = client.get("/account/login")
    signed_in = submit(client, page, "/account/login", {"identifier": email, "password": PASSWORD, "next_url": ""})
    assert signed_in.status_code in (200, 303), signed_in.text


def test_the_links_are_this_sessions_for_15_minutes_and_the_export_ends_with_the_account(
    system: Supervisor, catalogue, mail_sink: MailSink
):
    gateway = system.config.url("gateway")
    key = (stack_setting(system.config.database_urls["accounts"], "GATEWAY_SECRET_KEY") or "").encode()
    with httpx.Client(base_url=gateway, timeout=30) as api:
        citizen = active_account(api, mail_sink, EMAIL)
    with httpx.Client(base_url=gateway, timeout=30) as browser, httpx.Client(base_url=gateway, timeout=30) as other:
        _page_session(browser, EMAIL)
        page = browser.get("/account/data")
        assert page.status_code == 200
        assert "Préparer mon export" in page.text
        ready = submit(browser, page, "/account/data", {"idempotency_key": str(uuid.uuid4())})
        assert ready.status_code == 200, ready.text
        link = ready.text.split("/account/data/export.json?link=", 1)[1].split('"', 1)[0]
        answer = browser.get(f"/account/data/export.json?link={link}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/json")
        assert 'attachment; filename="mes-donnees-' in answer.headers["content-disposition"]
        assert answer.json()["account"]["profile"]["email"] == EMAIL
        pdf = browser.get(f"/account/data/export.pdf?link={link}")
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF-")
        assert pdf.headers["content-type"] == "application/pdf"

        # The same account signed in elsewhere (another session): the link is not its own.
        _page_session(other, EMAIL)
        foreign = other.get(f"/account/data/export.json?link={link}")
        assert foreign.status_code == 403
        assert "Ce lien n'est pas le vôtre" in unescape(foreign.text)
        assert "This link is not yours" in foreign.text
        forged = browser.get(f"/account/data/export.json?link={link[:-3]}abc")
        assert forged.status_code == 403

        # Expired: signed as the gateway signs, 15 minutes and a second ago, for this very session.
        token = browser.cookies.get("access_token")
        profile_id = answer.json()["account"]["profile"]["id"]
        holder = Principal(subject=profile_id, audience="citizen", token=token)
        stale, _ = sign_link(key, holder, time.time() - LINK_SECONDS - 1)
        expired = browser.get(f"/account/data/export.pdf?link={stale}")
        assert expired.status_code == 410
        assert "Ce lien a expiré" in unescape(expired.text)
        assert "This link has expired" in expired.text
        assert "text/html" in expired.headers["content-type"]

        # After the account's deletion: the API refuses the export, and the page's link no longer opens.
        deleted = browser.get("/account/delete")
        gone = submit(browser, deleted, "/account/delete", {"password": PASSWORD})
        assert gone.status_code == 200, gone.text
        refused = httpx.get(f"{gateway}/api/my/export", headers=citizen)
        assert refused.status_code in (401, 404), refused.text
        assert browser.get(f"/account/data/export.json?link={link}", follow_redirects=False).status_code in (303, 307)

    # Neither the link nor anything of the document reached a log line.
    for name in (*SERVICES, "gateway"):
        log = system.log_text(name)
        assert log, f"{name} wrote no log at all"
        assert link.split(".")[1] not in log, name
    # The gateway composes the document: it logs nothing of it, not even whose it is.
    assert profile_id not in system.log_text("gateway")


def test_the_schema_is_served_at_a_stable_address(system: Supervisor):
    answer = httpx.get(system.config.url("gateway") + "/api/export-schema")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/schema+json")
    assert answer.json() == json.loads(export_schema.DOCUMENT.read_text())


def test_linked_accounts_export_what_their_history_shows_and_a_stranger_nothing_of_theirs(
    system: Supervisor, catalogue, mail_sink: MailSink
):
    """Two accounts with one NAM are one citizen once a clinic validated it: each export holds the appointments
    both booked (as their history does), the link group, and its own account's profile; a stranger's export
    holds none of it."""
    urls = system.config.database_urls
    run_sync(add_staff(urls["accounts"], catalogue.establishment_id, "commis@clinique-export.example", "clerk"))
    slot = str(run_sync(slot_soon(urls["appointments"], catalogue.service_id)).id)
    with httpx.Client(base_url=system.config.url("gateway"), timeout=30) as client:
        first = active_account(client, mail_sink, "premier.export@example.org", nam="TEST54122816")
        second = active_account(client, mail_sink, "second.export@example.org", nam="TEST54122816")
        stranger = active_account(client, mail_sink, "autre.export@example.org", nam="TEST12542819", sex="F")
        booked = {}
        for name, citizen in (("first", first), ("second", second), ("stranger", stranger)):
            answer = client.post("/api/my/appointments", json={"slot_id": slot}, headers=citizen)
            assert answer.status_code == 201, answer.text
            booked[name] = answer.json()
        identity = {"account_id": booked["first"]["person_id"], "first_name": "Thomas", "last_name": "Testeur"}
        identity |= {"birth_date": "1954-12-28", "sex": "M", "nam": "TEST54122816", "confirmed": True}
        base = f"/api/admin/verification/establishments/{catalogue.establishment_id}"
        clerk = staff_auth(client, "commis@clinique-export.example")
        wait_until(
            lambda: client.post(f"{base}/identity-validations", json=identity, headers=clerk).status_code == 201,
            message="the clinic never learnt of the appointment",
        )

        def appointments(citizen: dict[str, str]) -> set[str]:
            return {
                a["id"] for a in client.get("/api/my/export", headers=citizen).json()["appointments"]["appointments"]
            }

        both = {booked["first"]["id"], booked["second"]["id"]}
        wait_until(lambda: appointments(first) == both and appointments(second) == both, message="never linked")
        for citizen, email in ((first, "premier.export@example.org"), (second, "second.export@example.org")):
            document = client.get("/api/my/export", headers=citizen).json()
            assert document["account"]["profile"]["email"] == email
            # Linked accounts are one citizen: each booking keeps its booker's contact in both exports.
            contact = {a["id"]: a["email"] for a in document["appointments"]["appointments"]}
            assert contact == {
                booked["first"]["id"]: "premier.export@example.org",
                booked["second"]["id"]: "second.export@example.org",
            }
            group = document["account"]["link_group"]
            assert group is not None
            assert {str(i) for i in group["account_ids"]} == {
                booked["first"]["person_id"],
                booked["second"]["person_id"],
            }
        theirs = client.get("/api/my/export", headers=stranger).json()
        assert {a["id"] for a in theirs["appointments"]["appointments"]} == {booked["stranger"]["id"]}
        assert theirs["account"]["link_group"] is None
        assert "premier.export@example.org" not in json.dumps(theirs)


BOOKER_CONTACT = ("email", "phone", "holder_name", "notify_email", "notify_sms")
CHILD = {"first_name": "Tina", "last_name": "Testeur", "birth_date": "2012-04-28", "sex": "F", "nam": "TEST12542817"}


def test_a_shared_childs_booking_by_the_other_parent_exports_without_that_parents_contact(
    system: Supervisor, clinics, mail_sink: MailSink
):
    """Two parents of one child, both associations validated: each export holds the child's appointments both
    booked (as the history does), but the other parent's e-mail, mobile, name and notice preferences only as null
    (custody, domestic violence); each parent's own bookings keep their own contact."""
    x, _, slots = clinics
    slot = str(slots[x.establishment_id].id)
    urls = system.config.database_urls
    later = add_slot(system, x, days=4, hour_utc=16, capacity=3)
    with httpx.Client(base_url=system.config.url("gateway"), timeout=30) as client:
        parents, accounts, booked = [], [], []
        people = (("parent.a.export@example.org", "Alexandra", "514 555-0171"),)
        people += (("parent.b.export@example.org", "Blake", "514 555-0172"),)
        for email, first_name, phone in people:
            auth = active_account(client, mail_sink, email, first_name=first_name, phone=phone)
            account_id = client.get("/api/me", headers=auth).json()["id"]
            child = client.post("/api/me/dependants", json=CHILD, headers=auth).json()
            answer = client.post("/api/my/appointments", json={"slot_id": slot, "person_id": child["id"]}, headers=auth)
            assert answer.status_code == 201, answer.text
            parents.append(auth)
            accounts.append((account_id, child))
            booked.append(answer.json()["id"])
        # Parent A also waits for a seat for the child.
        run_sync(_add_waitlist(urls["appointments"], x.service_id, later, accounts[0][0], accounts[0][1], people[0][0]))

        clerk = staff_auth(client, "x@clinique-x.example")
        base = f"/api/admin/verification/establishments/{x.establishment_id}"
        kid = {k: CHILD[k] for k in ("first_name", "last_name", "birth_date")}
        for (account_id, child), (_, first_name, _) in zip(accounts, people, strict=True):
            holder = {"account_id": account_id, "first_name": first_name, "last_name": "Testeur"}
            holder |= {"birth_date": "1954-12-28", "sex": "M", "confirmed": True}
            wait_until(
                lambda holder=holder: (
                    client.post(f"{base}/identity-validations", json=holder, headers=clerk).status_code == 201
                ),
                message="the clinic never learnt of the appointment",
            )
            association = {"account_id": account_id, "person_id": child["id"], **kid, "confirmed": True}
            answer = client.post(f"{base}/association-validations", json=association, headers=clerk)
            assert answer.status_code == 201, answer.text

        def exported(parent: dict[str, str]) -> dict[str, Any]:
            answer = client.get("/api/my/export", headers=parent)
            assert answer.status_code == 200, answer.text
            return answer.json()

        def rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
            return {a["id"]: a for a in document["appointments"]["appointments"]}

        wait_until(
            lambda: all(set(rows(exported(parent))) == set(booked) for parent in parents),
            timeout=20,
            message="the parents never saw each other's bookings of the child",
        )
        documents = [exported(parent) for parent in parents]

    schema = json.loads(export_schema.DOCUMENT.read_text())
    for document in documents:
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    a_rows, b_rows = rows(documents[0]), rows(documents[1])
    # A's own booking in A's export: A's contact, as booked.
    a_own = a_rows[booked[0]]
    assert a_own["email"] == "parent.a.export@example.org"
    assert str(a_own["phone"]).endswith("5550171")
    assert isinstance(a_own["notify_email"], bool)
    assert isinstance(a_own["notify_sms"], bool)
    # The same booking in B's export: the child, the time, the place, the status; nothing of A.
    a_seen_by_b = b_rows[booked[0]]
    assert {k: a_seen_by_b[k] for k in BOOKER_CONTACT} == dict.fromkeys(BOOKER_CONTACT)
    for kept in ("first_name", "last_name", "birth_date", "starts_at", "ends_at", "status", "place", "service"):
        assert a_seen_by_b[kept] == a_own[kept], kept
    assert a_seen_by_b["first_name"] == "Tina"
    # And the other way round: B's contact on B's booking only in B's export.
    assert b_rows[booked[1]]["email"] == "parent.b.export@example.org"
    assert {k: a_rows[booked[1]][k] for k in BOOKER_CONTACT} == dict.fromkeys(BOOKER_CONTACT)
    # A's waitlist entry for the child: A's contact for A, none of it for B.
    a_entries = documents[0]["appointments"]["waitlist"]
    b_entries = documents[1]["appointments"]["waitlist"]
    assert [e["email"] for e in a_entries] == ["parent.a.export@example.org"]
    assert [e["holder_name"] for e in a_entries] == ["Thomas Testeur"]
    assert [{k: e[k] for k in BOOKER_CONTACT} for e in b_entries] == [dict.fromkeys(BOOKER_CONTACT)]
    assert [e["first_name"] for e in b_entries] == ["Tina"]
    # Nowhere in B's document: A's e-mail, A's mobile, A's first name.
    text = json.dumps(documents[1])
    for secret in ("parent.a.export@example.org", "5550171", "Alexandra", "Thomas Testeur"):
        assert secret not in text, secret
