"""The waitlist's pages against a stand-in appointments service (issue 22, item 1): what the pages send (the join's
body and idempotency key, the offer's token, the hold), and what they show for each answer (an entry, a refusal
on its field, an offer open, expired, answered or unknown, a booking), without the rest of the platform."""

import asyncio
import html
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

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
ESTABLISHMENT, SERVICE, ENTRY, OFFER, EXPIRED_OFFER, APPOINTMENT = (str(uuid.uuid4()) for _ in range(6))
TOKEN = "offer-token-Qz8"
STARTS = datetime.now(UTC).replace(hour=15, minute=30, second=0, microsecond=0) + timedelta(days=2)
PLACE = {"id": ESTABLISHMENT, "name": "CLSC Test", "address": "1, rue Test", "city": "Montréal"}
PLACE |= {"postal_code": "H1T 2H1", "timezone": "America/Montreal"}
SERVICE_NAME = {"service_id": SERVICE, "name_fr": "Vaccination", "name_en": "Vaccination"}
TOO_MANY_ENTRIES = {
    "fr": "Vous avez déjà 5 inscriptions en cours sur des listes d'attente sans compte depuis votre connexion.",
    "en": "You already have 5 waitlist entries in progress made without an account from your connection.",
}
REFUSED_TIMES = {"fr": "Choisissez au moins un moment de la journée.", "en": "Choose at least one time of day."}


def _offer(offer_id: str, status: str = "open", expires_in: timedelta = timedelta(minutes=15)) -> dict[str, Any]:
    return {
        "id": offer_id,
        "status": status,
        "starts_at": STARTS.isoformat(),
        "ends_at": (STARTS + timedelta(minutes=15)).isoformat(),
        "expires_at": (datetime.now(UTC) + expires_in).isoformat(),
        "service": SERVICE_NAME,
        "place": {**{k: PLACE[k] for k in ("name", "address", "city", "postal_code", "timezone")}}
        | {"establishment_id": ESTABLISHMENT},
        "person": {"first_name": "Jeanne", "last_name": "Attente"},
        "appointment_id": None,
    }


def _entry(status: str = "waiting", hold_minutes: int = 15) -> dict[str, Any]:
    return {
        "id": ENTRY,
        "status": status,
        "service": SERVICE_NAME,
        "place": _offer(OFFER)["place"],
        "person": {"person_id": None, "first_name": "Jeanne", "last_name": "Attente"},
        "from_date": datetime.now(UTC).date().isoformat(),
        "to_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
        "times_of_day": ["morning", "evening"],
        "joined_at": datetime.now(UTC).isoformat(),
        "position": 2 if status == "waiting" else None,
        "offer": None,
        "hold_minutes": hold_minutes,
    }


@dataclass
class Seen:
    joins: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    accepted: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    declined: list[dict[str, Any]] = field(default_factory=list)
    holds: list[dict[str, Any]] = field(default_factory=list)
    hold_minutes: int = 15  # the establishment's, as appointments answers it on a joined entry


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[str, Seen]]:
    seen = Seen()
    base = f"/admin/establishments/{ESTABLISHMENT}"

    def refused(status: int, field_name: str | None, code: str, message: dict[str, str]) -> web.Response:
        return web.json_response({"errors": [{"field": field_name, "code": code, "message": message}]}, status=status)

    async def handle(request: web.Request) -> web.Response:
        path = request.path
        if path == "/session-revocations":
            return web.json_response([])
        if path == "/staff/me":
            return web.json_response({"id": "s", "name": "Test", "role": "clerk", "establishment_id": ESTABLISHMENT})
        if path == base:
            return web.json_response({"id": ESTABLISHMENT, "name": "CLSC Test", "timezone": "America/Montreal"})
        if path == f"{base}/services":
            return web.json_response([{"id": SERVICE, "name_fr": "Vaccination", "name_en": "Vaccination"}])
        if path == f"/services/{SERVICE}":
            return web.json_response(SERVICE_NAME | {"duration_minutes": 15, "establishment": PLACE})
        if path == "/waitlist":
            body = await request.json()
            seen.joins.append((body, request.headers.get("Idempotency-Key", "")))
            if not body["times_of_day"]:
                return refused(422, "times_of_day", "times_of_day_invalid", REFUSED_TIMES)
            if body["first_name"] == "Sixième":
                return refused(409, None, "too_many_waitlist_entries", TOO_MANY_ENTRIES)
            return web.json_response(
                {"entry": _entry(hold_minutes=seen.hold_minutes), "token": "entry-token"}, status=201
            )
        if path == f"/waitlist/entries/{ENTRY}" and request.query.get("token") == "entry-token":
            return web.json_response(_entry("ended") | {"ended_reason": "offers_unanswered"})
        if path == f"/waitlist/offers/{OFFER}" and request.query.get("token") == TOKEN:
            return web.json_response(_offer(OFFER, "declined" if seen.declined else "open"))
        if path == f"/waitlist/offers/{EXPIRED_OFFER}" and request.query.get("token") == TOKEN:
            return web.json_response(_offer(EXPIRED_OFFER, "expired", timedelta(minutes=-1)))
        if path == f"/waitlist/offers/{OFFER}/accept":
            body = await request.json()
            seen.accepted.append((body, request.headers.get("Idempotency-Key", "")))
            booked = {
                "id": APPOINTMENT,
                "status": "booked",
                "starts_at": STARTS.isoformat(),
                "ends_at": (STARTS + timedelta(minutes=15)).isoformat(),
                "place": _offer(OFFER)["place"],
                "service": SERVICE_NAME,
                "first_name": "Jeanne",
                "last_name": "Attente",
                "language": "fr",
                "confirmed": False,
                "cancel_cutoff_hours": 0,
                "changeable_until": None,
                "clinic_phone": None,
                "instructions_fr": None,
                "instructions_en": None,
                "manage_token": "manage-token-1",
            }
            return web.json_response(booked, status=201)
        if path == f"/waitlist/offers/{EXPIRED_OFFER}/accept":
            return refused(409, None, "offer_expired", {"fr": "Expirée.", "en": "Expired."})
        if path == f"/waitlist/offers/{OFFER}/decline":
            seen.declined.append(await request.json())
            return web.json_response(_offer(OFFER, "declined"))
        if path == f"{base}/waitlist":
            services = [
                SERVICE_NAME | {"waiting": 3, "offered": 1, "hold_minutes": 20},
                {"service_id": str(uuid.uuid4()), "name_fr": "Prélèvement", "name_en": "Blood test"}
                | {"waiting": 0, "offered": 0, "hold_minutes": 20},
            ]
            return web.json_response({"services": services, "hold_minutes": 20})
        if path == f"{base}/waitlist-rules":
            body = await request.json()
            seen.holds.append(body)
            return web.json_response(body)
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
        amqp_url="amqp://nobody:nothing@127.0.0.1:1/",
    )
    port = free_port()
    server, task = await _serve(create_app(settings), port)
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        await runner.cleanup()


def _visitor(gateway: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=gateway, follow_redirects=False, headers={"origin": gateway})


def _staff(gateway: str, role: str) -> httpx.AsyncClient:
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "aud": "staff", "iss": "accounts", "est": ESTABLISHMENT, "role": role}
    token = jwt.encode(claims | {"iat": now, "exp": now + 600, "sid": str(uuid.uuid4())}, PRIVATE, algorithm="ES256")
    client = _visitor(gateway)
    client.cookies.set("staff_access_token", token)
    return client


def _text(answer: httpx.Response) -> str:
    return html.unescape(answer.text)


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def _join_form(page: str, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf_token": _hidden(page, "csrf_token"),
        "service_id": SERVICE,
        "idempotency_key": _hidden(page, "idempotency_key"),
        "first_name": "Jeanne",
        "last_name": "Attente",
        "birth_day": "3",
        "birth_month": "2",
        "birth_year": "1944",
        "email": "jeanne@example.org",
        "phone": "514 555-0142",
        "notify_sms": "on",
        "language": "fr",
        "from_day": _hidden(page, "from_day"),
        "from_month": _hidden(page, "from_month"),
        "from_year": _hidden(page, "from_year"),
        "to_day": _hidden(page, "to_day"),
        "to_month": _hidden(page, "to_month"),
        "to_year": _hidden(page, "to_year"),
        "times_of_day": ["morning", "evening"],
    }
    return form | overrides


async def test_joining_without_an_account_sends_the_choices_and_says_what_happens_next(gateway):
    url, seen = gateway
    async with _visitor(url) as visitor:
        page = await visitor.get(f"/waitlist/join?service={SERVICE}")
        assert page.status_code == 200, page.text
        assert "S'inscrire sur la liste d'attente" in _text(page)
        today = datetime.now(UTC).astimezone().date()
        assert _hidden(page.text, "from_year") == str(today.year)
        joined = await visitor.post("/waitlist/join", data=_join_form(page.text))
        assert joined.status_code == 200, joined.text
        body, key = seen.joins[-1]
        assert key == _hidden(page.text, "idempotency_key")
        assert body["establishment_id"] == ESTABLISHMENT
        assert body["birth_date"] == "1944-02-03"
        assert body["times_of_day"] == ["morning", "evening"]
        assert (body["email"], body["phone"], body["notify_email"], body["notify_sms"]) == (
            "jeanne@example.org",
            "514 555-0142",
            True,
            True,
        )
        assert date_of(body["to_date"]) - date_of(body["from_date"]) == timedelta(days=30)
        text = _text(joined)
        assert "Vous êtes sur la liste d'attente" in text
        assert "Position dans la file\u00a0: 2" in text
        assert "nous vous écrivons à jeanne@example.org" in text
        assert "réservée pendant 15 minutes" in text
        assert f"/waitlist/entries/{ENTRY}?token=entry-token" in joined.text


async def test_the_join_confirmation_says_the_establishments_own_hold(gateway):
    url, seen = gateway
    seen.hold_minutes = 1
    async with _visitor(url) as visitor:
        page = await visitor.get(f"/waitlist/join?service={SERVICE}&lang=en")
        joined = await visitor.post("/waitlist/join", data=_join_form(page.text))
        assert joined.status_code == 200, joined.text
        text = _text(joined)
        assert "The seat is held for you for 1 minute: open the message's link" in text
        assert "a few minutes" not in text
    seen.hold_minutes = 90
    async with _visitor(url) as visitor:
        page = await visitor.get(f"/waitlist/join?service={SERVICE}")
        joined = await visitor.post("/waitlist/join", data=_join_form(page.text))
        assert "La place vous est réservée pendant 90 minutes" in _text(joined)


def date_of(iso: str) -> Any:
    return datetime.fromisoformat(iso).date()


async def test_a_join_form_with_bad_dates_and_no_time_of_day_says_each_and_keeps_the_key(gateway):
    url, seen = gateway
    async with _visitor(url) as visitor:
        page = await visitor.get(f"/waitlist/join?service={SERVICE}&lang=en")
        form = _join_form(page.text, from_month="13", to_day="", times_of_day=[], notify_sms="")
        refused = await visitor.post("/waitlist/join", data=form)
        assert refused.status_code == 422
        text = _text(refused)
        for said in ("Enter a real date, for example 15 3 2027.", "Enter the last date.", "Tick at least one time"):
            assert said in text, said
        # The summary lists them in the form's order, top to bottom.
        summary = refused.text.split("govuk-error-summary__list")[1].split("</ul>")[0]
        assert summary.index("#from_date") < summary.index("#to_date") < summary.index("#times_of_day")
        assert 'href="#times_of_day"' in refused.text
        assert _hidden(refused.text, "idempotency_key") == form["idempotency_key"]
        body, _ = seen.joins[-1]
        assert (body["from_date"], body["to_date"], body["notify_sms"]) == (None, None, False)


async def test_an_offer_is_accepted_by_its_link_and_shows_a_booking_confirmation(gateway):
    url, seen = gateway
    async with _visitor(url) as visitor:
        page = await visitor.get(f"/waitlist/offers/{OFFER}?token={TOKEN}")
        assert page.status_code == 200, page.text
        text = _text(page)
        assert "Une place s'est libérée pour vous" in text
        assert "Réservée pour vous jusqu'à" in text
        assert "Jeanne Attente" in text
        form = {
            "csrf_token": _hidden(page.text, "csrf_token"),
            "token": _hidden(page.text, "token"),
            "idempotency_key": _hidden(page.text, "idempotency_key"),
        }
        booked = await visitor.post(f"/waitlist/offers/{OFFER}/accept", data=form)
        assert booked.status_code == 200, booked.text
        assert seen.accepted == [({"token": TOKEN}, form["idempotency_key"])]
        assert "Rendez-vous confirmé" in _text(booked)
        assert f"/appointments/{APPOINTMENT}/calendar.ics?token=manage-token-1" in booked.text
        assert f"/appointments/{APPOINTMENT}/cancel?token=manage-token-1" in booked.text
        assert "aux mêmes coordonnées que l'offre" in _text(booked)


async def test_declining_asks_first_and_an_answered_expired_or_unknown_offer_gets_its_own_page(gateway):
    url, seen = gateway
    async with _visitor(url) as visitor:
        question = await visitor.get(f"/waitlist/offers/{OFFER}/decline?token={TOKEN}")
        assert question.status_code == 200
        assert "Refuser cette place ?".replace(" ?", "\u202f?") in _text(question)
        assert not seen.declined
        form = {"csrf_token": _hidden(question.text, "csrf_token"), "token": TOKEN}
        declined = await visitor.post(f"/waitlist/offers/{OFFER}/decline", data=form)
        assert declined.status_code == 200
        assert seen.declined == [{"token": TOKEN}]
        assert "Vous avez refusé cette place" in _text(declined)

        answered = await visitor.get(f"/waitlist/offers/{OFFER}?token={TOKEN}")
        assert answered.status_code == 409
        assert 'data-why="declined"' in answered.text
        expired = await visitor.get(f"/waitlist/offers/{EXPIRED_OFFER}?token={TOKEN}&lang=en")
        assert expired.status_code == 409
        assert "This seat is no longer held for you" in _text(expired)
        assert '<div lang="fr" class="govuk-inset-text">' in expired.text  # and in French, below
        assert "Cette place n'est plus réservée pour vous" in _text(expired)
        late = await visitor.post(
            f"/waitlist/offers/{EXPIRED_OFFER}/accept",
            data={"csrf_token": form["csrf_token"], "token": TOKEN, "idempotency_key": "x"},
        )
        assert late.status_code == 409
        assert 'data-why="expired"' in late.text
        unknown = await visitor.get(f"/waitlist/offers/{OFFER}?token=wrong&lang=fr")
        assert unknown.status_code == 404
        assert "Ce lien ne fonctionne pas" in _text(unknown)


async def test_the_console_shows_the_lengths_and_only_a_manager_sets_the_hold(gateway):
    url, seen = gateway
    async with _staff(url, "clerk") as clerk:
        page = await clerk.get("/admin/waitlist")
        assert page.status_code == 200, page.text
        rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", page.text, re.S)
        cells = [re.sub(r"<[^>]+>", "|", row).split("|") for row in rows[1:]]
        assert [[c.strip() for c in cells_of if c.strip()] for cells_of in cells] == [
            ["Vaccination", "3", "1"],
            ["Prélèvement", "0", "0"],
        ]
        assert "réservée pendant 20 minutes" in _text(page)
        assert "/admin/rules#waitlist" not in page.text  # a clerk cannot change it
        refused = await clerk.post("/admin/rules/waitlist", data={"csrf_token": _hidden(page.text, "csrf_token")})
        assert refused.status_code == 403
    async with _staff(url, "manager") as manager:
        rules = await manager.get("/admin/rules")
        assert rules.status_code == 200, rules.text
        assert 'name="hold_minutes" type="text" value="20"' in rules.text or 'value="20"' in rules.text
        csrf = _hidden(rules.text, "csrf_token")
        bad = await manager.post("/admin/rules/waitlist", data={"csrf_token": csrf, "hold_minutes": "2000"})
        assert bad.status_code == 422
        assert "Entrez un nombre de minutes de 1 à 1440." in _text(bad)
        assert not seen.holds
        saved = await manager.post("/admin/rules/waitlist", data={"csrf_token": csrf, "hold_minutes": " 30 "})
        assert saved.status_code == 303
        assert saved.headers["location"] == "/admin/rules?hold_saved=30#waitlist"
        assert seen.holds == [{"hold_minutes": 30}]


async def test_an_entry_ended_by_two_unanswered_offers_says_so_and_how_to_join_again(gateway):
    url, _seen = gateway
    async with _visitor(url) as visitor:
        for lang, reason, again in (
            ("fr", "deux places qui vous ont été offertes sont restées sans réponse", "S'inscrire de nouveau"),
            ("en", "two seats offered to you went unanswered", "Join the waitlist again"),
        ):
            page = await visitor.get(f"/waitlist/entries/{ENTRY}", params={"token": "entry-token", "lang": lang})
            assert page.status_code == 200, page.text
            text = _text(page)
            assert reason in text
            assert again in text
            assert f'href="/waitlist/join?service={SERVICE}"' in page.text
            assert "/leave" not in page.text  # nothing left to leave


async def test_a_client_past_its_live_entries_is_told_on_the_form(gateway):
    url, _seen = gateway
    async with _visitor(url) as visitor:
        page = await visitor.get(f"/waitlist/join?service={SERVICE}")
        refused = await visitor.post("/waitlist/join", data=_join_form(page.text, first_name="Sixième"))
        assert refused.status_code == 409
        assert "Vous avez déjà 5 inscriptions en cours" in _text(refused)
        assert "govuk-error-summary" in refused.text
