"""Read-your-writes in the console without polling (issue 20, item 6), against services that never learn the
validation by event: the Suivi page after a validation reads the day list once and shows the validated rows in
their new state, from verification's answer carried in the signed flash cookie; a forged `?done=`, a forged
cookie or another session's draw nothing green.

Before, the page re-read the list up to 20 more times waiting for the event, and every read is audited by
appointments: with the event this late, one clerk action meant 21 reads."""

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import jwt
import pytest
from aiohttp import web

from devstack.jwt_keys import generate_es256_keypair
from devstack.testing.fixtures import free_port
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway.tests.integration.test_client_address import _serve

PRIVATE, PUBLIC = generate_es256_keypair()
ESTABLISHMENT, HOLDER, CHILD, OTHER = (str(uuid.uuid4()) for _ in range(4))
OWN_ROW, CHILD_ROW, OTHER_ROW, WALK_IN_ROW = (str(uuid.uuid4()) for _ in range(4))
DAY = "2026-12-07"
SERVICE = {"service_id": str(uuid.uuid4()), "name_fr": "Prise de sang", "name_en": "Blood test"}


def _entry(row: str, first: str, account: str | None, person: str | None) -> dict[str, object]:
    icon = "red" if account else "grey"
    return {
        "id": row,
        "status": "arrived",
        "starts_at": f"{DAY}T15:30:00Z",
        "service": SERVICE,
        "person_id": person,
        "account_id": account,
        "first_name": first,
        "last_name": "Testeur",
        "birth_date": "1954-12-28",
        "holder_name": "Thomas Testeur" if account == HOLDER else None,
        "sex": "M",
        "profile_icon": icon,
        "card_icon": icon,
    }


# The appointments service as the event has not reached it yet: every row still as before the validations.
ENTRIES = [
    _entry(OWN_ROW, "Thomas", HOLDER, HOLDER),
    _entry(CHILD_ROW, "Léo", HOLDER, CHILD),
    _entry(OTHER_ROW, "Autre", OTHER, OTHER),
    _entry(WALK_IN_ROW, "Sans", None, None),
]


@dataclass
class Upstreams:
    day_list_reads: int = 0
    validations: list[str] = field(default_factory=list)


@pytest.fixture
async def console() -> AsyncIterator[tuple[str, Upstreams]]:
    seen = Upstreams()
    base = f"/admin/establishments/{ESTABLISHMENT}"

    async def handle(request: web.Request) -> web.Response:
        path = request.path
        if path == "/session-revocations":
            return web.json_response([])
        if path == "/staff/me":
            clerk = {"id": "s", "name": "Test clerk", "role": "clerk", "establishment_id": ESTABLISHMENT}
            return web.json_response(clerk)
        if path == base:
            return web.json_response({"id": ESTABLISHMENT, "name": "Clinique Test", "timezone": "America/Montreal"})
        if path == f"{base}/appointments":
            seen.day_list_reads += 1
            return web.json_response(ENTRIES)
        if path.startswith(f"{base}/appointments/"):
            return web.json_response(next(e for e in ENTRIES if e["id"] == path.rsplit("/", 1)[1]))
        if path.endswith("-validations") and request.method == "POST":
            body = await request.json()
            seen.validations.append(path.rsplit("/", 1)[1])
            answer = {"validation_id": str(uuid.uuid4()), "account_id": body["account_id"], "validated_at": "now"}
            if "person_id" in body:
                answer["person_id"] = body["person_id"]
            else:
                answer["nam_warnings"] = []
            return web.json_response(answer, status=201)
        return web.json_response({"errors": []}, status=404)

    upstream = web.Application()
    upstream.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(upstream, access_log=None)
    await runner.setup()
    upstream_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", upstream_port).start()
    url = f"http://127.0.0.1:{upstream_port}"
    settings = GatewaySettings(
        accounts_url=url,
        appointments_url=url,
        verification_url=url,
        jwt_public_key=PUBLIC,
        insecure_cookies=True,
        amqp_url="amqp://nobody:nothing@127.0.0.1:1/",  # no revocations feed needed here
    )
    port = free_port()
    server, task = await _serve(create_app(settings), port)
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        await runner.cleanup()


def _staff_token(session: str) -> str:
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "aud": "staff", "iss": "accounts", "est": ESTABLISHMENT, "role": "clerk"}
    return jwt.encode(claims | {"iat": now, "exp": now + 600, "sid": session}, PRIVATE, algorithm="ES256")


def _clerk(gateway: str, token: str | None = None) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=gateway, follow_redirects=False, headers={"origin": gateway})
    client.cookies.set("staff_access_token", token or _staff_token(str(uuid.uuid4())))
    return client


async def _post_window(client: httpx.AsyncClient, row: str, step: str, **fields: str) -> httpx.Response:
    """Opens the window (a GET, as the clerk does: it carries the form's CSRF token) and confirms it."""
    window = await client.get(f"/admin/appointments/{row}/{step}?day={DAY}")
    assert window.status_code == 200, window.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', window.text)
    assert token
    form = {"csrf_token": token.group(1), "day": DAY, "first_name": "Thomas", "last_name": "Testeur"}
    form |= {"birth_date-day": "28", "birth_date-month": "12", "birth_date-year": "1954", "confirmed": "on"}
    return await client.post(f"/admin/appointments/{row}/{step}/confirm", data=form | fields)


def _icons(page: str, row: str) -> dict[str, str]:
    """The row's icons as drawn: {"profile": colour, "card": colour} (a holder's own booking has one icon)."""
    found = re.search(rf'<tr [^>]*data-id="{row}".*?</tr>', page, re.S)
    assert found, row
    return dict(re.findall(r'data-icon="(\w+)" data-state="(\w+)"', found.group(0)))


async def test_one_identity_validation_reads_the_list_once_and_shows_the_row_validated(console):
    gateway, seen = console
    async with _clerk(gateway) as clerk:
        confirmed = await _post_window(clerk, OWN_ROW, "identity", sex="M")
        assert confirmed.status_code == 303, confirmed.text
        assert confirmed.headers["location"] == f"/admin?day={DAY}"  # nothing in the link says what was done
        assert seen.validations == ["identity-validations"]
        assert seen.day_list_reads == 0

        suivi = await clerk.get(confirmed.headers["location"])
        assert suivi.status_code == 200
        assert seen.day_list_reads == 1  # one read of the list, so one "list viewed" in the audit log
        assert _icons(suivi.text, OWN_ROW) == {"profile": "green"}  # the holder's own booking: one icon
        # The same account's other booking: its holder is identified, the child's association is still to do.
        assert _icons(suivi.text, CHILD_ROW) == {"profile": "green", "card": "red"}
        assert _icons(suivi.text, OTHER_ROW) == {"profile": "red"}  # another account: untouched
        assert _icons(suivi.text, WALK_IN_ROW) == {"profile": "grey"}
        assert "Identité validée pour le rendez-vous de Thomas Testeur." in suivi.text
        # Read once: the page clears it, and a reload shows the list as appointments serves it.
        assert 'console_flash=""' in suivi.headers["set-cookie"]
        assert "Path=/admin" in suivi.headers["set-cookie"]
        reloaded = await clerk.get(f"/admin?day={DAY}")
        assert seen.day_list_reads == 2
        assert _icons(reloaded.text, OWN_ROW) == {"profile": "red"}
        assert "Identité validée" not in reloaded.text


async def test_identity_then_association_shows_both_after_one_read(console):
    gateway, seen = console
    async with _clerk(gateway) as clerk:
        identity = await _post_window(clerk, CHILD_ROW, "identity", sex="M")
        assert identity.status_code == 303, identity.text
        assert identity.headers["location"] == f"/admin/appointments/{CHILD_ROW}/association?day={DAY}"
        # The association window says the identity was validated: from the flash, which it leaves for Suivi.
        window = await clerk.get(identity.headers["location"])
        assert "Identité validée pour le rendez-vous de Léo Testeur." in window.text
        association = await _post_window(clerk, CHILD_ROW, "association", first_name="Léo")
        assert association.status_code == 303, association.text
        assert seen.validations == ["identity-validations", "association-validations"]

        suivi = await clerk.get(association.headers["location"])
        assert seen.day_list_reads == 1
        assert _icons(suivi.text, CHILD_ROW) == {"profile": "green", "card": "green"}
        assert _icons(suivi.text, OWN_ROW) == {"profile": "green"}
        assert _icons(suivi.text, OTHER_ROW) == {"profile": "red"}
        assert "Association validée\u00a0: Léo Testeur." in suivi.text


async def test_a_forged_link_or_cookie_turns_nothing_green(console):
    gateway, seen = console
    async with _clerk(gateway) as clerk:
        for forged in (f"done=identity&row={OWN_ROW}", f"done=association&row={CHILD_ROW}"):
            page = await clerk.get(f"/admin?day={DAY}&{forged}")
            assert _icons(page.text, OWN_ROW) == {"profile": "red"}
            assert _icons(page.text, CHILD_ROW) == {"profile": "red", "card": "red"}
            assert "govuk-notification-banner" not in page.text  # nor says anything was validated
        # A real flash, of another staff session: worthless in this one.
        async with _clerk(gateway) as other:
            confirmed = await _post_window(other, OWN_ROW, "identity", sex="M")
            stolen = other.cookies["console_flash"]
        for value in (stolen, stolen.replace(".", ".x", 1), stolen.split(".")[0] + ".", "garbage"):
            clerk.cookies.set("console_flash", value, path="/admin")
            page = await clerk.get(f"/admin?day={DAY}")
            assert _icons(page.text, OWN_ROW) == {"profile": "red"}, value
        assert confirmed.status_code == 303
        assert seen.day_list_reads == 6  # one per page, whatever came with it
