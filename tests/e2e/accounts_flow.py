"""Steps of the citizen account journeys, shared by the API and browser end-to-end tests."""

import re
import time
from typing import Any

import asyncpg
import httpx

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink

CODE = re.compile(r"\b(\d{6})\b")
PASSWORD = "un matin de givre sur le fleuve"


def code_from_mail(mail_sink: MailSink, recipient: str, already: int = 0, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Only code messages: a late notice from an earlier test may share the address.
        mails = [m for m in mail_sink.messages() if recipient in m.recipients and "code" in m.subject.lower()]
        if len(mails) > already:
            found = CODE.search(mails[-1].body)
            assert found, mails[-1].body
            return found.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no code arrived for {recipient}")


def code_from_sms(sms_sink: SmsSink, phone: str, already: int = 0, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = [m for m in sms_sink.messages() if m.to == phone and CODE.search(m.body)]
        if len(texts) > already:
            found = CODE.search(texts[-1].body)
            assert found, texts[-1].body
            return found.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no SMS code arrived for {phone}")


def fill_date(scope: Any, iso: str) -> None:
    """Fills a GOV.UK date input (Jour, Mois, Année or Day, Month, Year) inside `scope` with an ISO date."""
    year, month, day = iso.split("-")
    for (french, english), value in ((("Jour", "Day"), day), (("Mois", "Month"), month), (("Année", "Year"), year)):
        scope.get_by_label(french, exact=True).or_(scope.get_by_label(english, exact=True)).fill(value)


def wait_for_login(
    client: httpx.Client, identifier: str, password: str = PASSWORD, timeout: float = 10, not_yet: int = 403
) -> str:
    """A change applies when accounts consumes ChallengePassed: a few ms after the code is accepted.

    `not_yet` is the answer expected until then (403 before activation, 401 before a new password)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.post("/api/sessions", json={"identifier": identifier, "password": password})
        if response.status_code == 200:
            return response.json()["access_token"]
        assert response.status_code == not_yet, response.text
        assert time.monotonic() < deadline, "the account never became active"
        time.sleep(0.05)


def wait_until(predicate: Any, timeout: float = 10, message: str = "condition not reached") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


async def traces_of(database_urls: dict[str, str], needles: list[str]) -> list[str]:
    """Every (database.table.column) whose text holds one of the needles, case-insensitively."""
    found = []
    for service, url in database_urls.items():
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            columns = await conn.fetch(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND data_type IN ('text', 'character varying', 'jsonb', 'json')"
            )
            for column in columns:
                for needle in needles:
                    hit = await conn.fetchval(
                        f'SELECT count(*) FROM "{column["table_name"]}" WHERE "{column["column_name"]}"::text ILIKE $1',
                        f"%{needle}%",
                    )
                    if hit:
                        found.append(f"{service}.{column['table_name']}.{column['column_name']} holds {needle!r}")
        finally:
            await conn.close()
    return found


def register(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {
        "first_name": "Thomas",
        "last_name": "Testeur",
        "birth_date": "1954-12-28",
        "sex": "M",
        "language": "fr",
        "password": PASSWORD,
        **fields,
    }
    response = client.post("/api/registrations", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def verify(
    client: httpx.Client, challenge_id: str, code: str, purpose: str, token: str | None = None
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return client.post(
        f"/api/challenges/{challenge_id}/verify", json={"code": code, "purpose": purpose}, headers=headers
    )


def active_account(client: httpx.Client, mail_sink: MailSink, email: str, **fields: Any) -> dict[str, str]:
    """Registers and activates an account; returns the Authorization header of its session."""
    registration = register(client, email=email, **fields)
    answer = verify(client, registration["challenge_id"], code_from_mail(mail_sink, email), "activate_account")
    assert answer.status_code == 200, answer.text
    return {"authorization": f"Bearer {wait_for_login(client, email)}"}
