"""Booking for a caller, the clinic rules page and the portal's cut-off, against a stand-in appointments service:
what the pages send, and what they show for each answer (a booking, a slot taken meanwhile, bad input, the
cut-off refusal), without the rest of the platform."""

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
ESTABLISHMENT, SERVICE, TAKEN_SLOT, FREE_SLOT = (str(uuid.uuid4()) for _ in range(4))
CALLER_ROW, ACCOUNT_ROW, LINKED, MINE = (str(uuid.uuid4()) for _ in range(4))
TOMORROW = datetime.now(UTC).replace(hour=15, minute=30, second=0, microsecond=0) + timedelta(days=1)
PLACE = {"id": ESTABLISHMENT, "name": "Clinique Test", "address": "1, rue Test", "city": "Montréal"}
PLACE |= {"postal_code": "H1T 2H1", "region": None, "phone": "514 555-0100", "latitude": 45.5, "longitude": -73.5}
PLACE |= {"opening_hours": {}}
INSTRUCTIONS = {"instructions_fr": "Apportez votre carte.\nSoyez à jeun.", "instructions_en": "Bring your card."}


def _appointment(row: str, starts: datetime, cutoff: int = 24) -> dict[str, Any]:
    return {
        "id": row,
        "slot_id": TAKEN_SLOT,
        "status": "booked",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=15)).isoformat(),
        "place": {
            **{k: PLACE[k] for k in ("name", "address", "city", "postal_code")},
            "establishment_id": ESTABLISHMENT,
        },
        "service": {"service_id": SERVICE, "name_fr": "Prise de sang", "name_en": "Blood test"},
        "first_name": "Jeanne",
        "last_name": "Appelante",
        "language": "fr",
        "confirmed": False,
        "cancel_cutoff_hours": cutoff,
        "changeable_until": (starts - timedelta(hours=cutoff)).isoformat(),
        "clinic_phone": "+15145550100",
        **INSTRUCTIONS,
    }


def _entry(row: str, account: str | None) -> dict[str, Any]:
    return {
        "id": row,
        "status": "booked",
        "starts_at": TOMORROW.isoformat(),
        "service": {"service_id": SERVICE, "name_fr": "Prise de sang", "name_en": "Blood test"},
        "person_id": account,
        "account_id": account,
        "first_name": "Jeanne",
        "last_name": "Appelante",
        "birth_date": "1940-02-03",
        "holder_name": None,
        "sex": None,
        "profile_icon": "red" if account else "grey",
        "card_icon": "red" if account else "grey",
    }


@dataclass
class Seen:
    bookings: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[str, Seen]]:
    seen = Seen()
    base = f"/admin/establishments/{ESTABLISHMENT}"

    async def handle(request: web.Request) -> web.Response:
        path = request.path
        if path == "/session-revocations":
            return web.json_response([])
        if path == "/staff/me":
            return web.json_response({"id": "s", "name": "Test", "role": "clerk", "establishment_id": ESTABLISHMENT})
        if path == base:
            return web.json_response({"id": ESTABLISHMENT, "name": "Clinique Test", "timezone": "America/Montreal"})
        if path == f"{base}/services":
            service = {"id": SERVICE, "name_fr": "Prise de sang", "name_en": "Blood test", "duration_minutes": 15}
            return web.json_response([service | {"cancel_cutoff_hours": 24, "default_capacity": 1} | INSTRUCTIONS])
        if path == "/slots":
            slots = [
                {"id": slot, "starts_at": (TOMORROW + timedelta(minutes=15 * n)).isoformat(), "seats_left": 1}
                for n, slot in enumerate((TAKEN_SLOT, FREE_SLOT))
            ]
            start = datetime.fromisoformat(request.query["date_from"])
            end = datetime.fromisoformat(request.query["date_to"]) if "date_to" in request.query else None
            found = [
                s
                for s in slots
                if start <= datetime.fromisoformat(s["starts_at"])
                and (not end or datetime.fromisoformat(s["starts_at"]) < end)
            ]
            return web.json_response(found[: int(request.query.get("limit", 100))])
        if path == f"/services/{SERVICE}":
            offered = {"service_id": SERVICE, "name_fr": "Prise de sang", "name_en": "Blood test"}
            return web.json_response(offered | {"duration_minutes": 15, "establishment": PLACE})
        if path == f"{base}/caller-bookings":
            body = await request.json()
            seen.bookings.append(body)
            if body["slot_id"] == TAKEN_SLOT:
                message = {"fr": "Ce créneau est complet.", "en": "This slot is full."}
                return web.json_response(
                    {"errors": [{"field": "slot_id", "code": "slot_full", "message": message}]}, status=409
                )
            if body.get("nam") == "BAD":
                message = {"fr": "NAM invalide.", "en": "Invalid NAM."}
                return web.json_response(
                    {"errors": [{"field": "nam", "code": "invalid_nam", "message": message}]}, status=422
                )
            booked = _appointment(CALLER_ROW, TOMORROW + timedelta(minutes=15))
            return web.json_response(
                booked | {"service_name_fr": "Prise de sang", "service_name_en": "Blood test"}, status=201
            )
        if path.startswith(f"{base}/caller-bookings/"):
            row, action = path.rsplit("/", 2)[-2:]
            (seen.moved if action == "reschedule" else seen.cancelled).append(row)
            return web.json_response(_appointment(row, TOMORROW + timedelta(days=1)))
        if path.startswith(f"{base}/appointments/"):
            row = path.rsplit("/", 1)[1]
            return web.json_response(_entry(row, str(uuid.uuid4()) if row == ACCOUNT_ROW else None))
        if path == f"{base}/waitlist":
            # The rules page shows the establishment's waitlist hold too (issue 22).
            return web.json_response({"services": [], "hold_minutes": 15})
        if path == f"{base}/services/{SERVICE}/rules":
            seen.rules.append(await request.json())
            return web.json_response({"id": SERVICE})
        if path == "/my/appointments":
            # One the citizen may still change (the cut-off ahead), as the page first read it.
            return web.json_response(
                {"upcoming": [_appointment(MINE, datetime.now(UTC) + timedelta(hours=30))], "past": []}
            )
        if path in (f"/my/appointments/{MINE}/cancel", f"/my/appointments/{MINE}/reschedule"):
            message = {"fr": "Trop tard.", "en": "Too late."}
            return web.json_response(
                {"errors": [{"field": None, "code": "too_late_to_change", "message": message}]}, status=409
            )
        if path == f"/appointments/{LINKED}":
            return web.json_response(_appointment(LINKED, datetime.now(UTC) + timedelta(hours=3)))
        if path == f"/appointments/{LINKED}/cancel":
            message = {"fr": "Trop tard.", "en": "Too late."}
            error = {"field": None, "code": "too_late_to_change", "message": message}
            return web.json_response({"errors": [error]}, status=409)
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


def _staff(gateway: str, role: str = "clerk") -> httpx.AsyncClient:
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "aud": "staff", "iss": "accounts", "est": ESTABLISHMENT, "role": role}
    token = jwt.encode(claims | {"iat": now, "exp": now + 600, "sid": str(uuid.uuid4())}, PRIVATE, algorithm="ES256")
    client = httpx.AsyncClient(base_url=gateway, follow_redirects=False, headers={"origin": gateway})
    client.cookies.set("staff_access_token", token)
    return client


def _text(answer: httpx.Response) -> str:
    return html.unescape(answer.text)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def _caller(page: str, **overrides: str) -> dict[str, str]:
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key
    form = {"csrf_token": _csrf(page), "service_id": SERVICE, "day": TOMORROW.date().isoformat()}
    form |= {"idempotency_key": key.group(1), "slot_id": FREE_SLOT, "first_name": "Jeanne", "last_name": "Appelante"}
    form |= {"birth_date-day": "3", "birth_date-month": "2", "birth_date-year": "1940", "email": "j@example.org"}
    return form | {"language": "fr"} | overrides


async def test_a_clerk_books_for_a_caller_and_reads_what_to_tell_them(gateway):
    url, seen = gateway
    async with _staff(url) as clerk:
        page = await clerk.get("/admin/book")
        assert page.status_code == 200, page.text
        assert "Prendre un rendez-vous pour un appelant" in _text(page)
        assert f'value="{FREE_SLOT}"' in _text(page)  # the only service is chosen; its first day's times shown
        booked = await clerk.post("/admin/book", data=_caller(page.text, notify_sms="yes", phone="514 555-0199"))
        assert booked.status_code == 200, booked.text
        sent = seen.bookings[-1]
        assert (sent["slot_id"], sent["birth_date"], sent["notify_sms"]) == (FREE_SLOT, "1940-02-03", True)
        assert sent["idempotency_key"]
        assert (sent["sex"], sent["nam"]) == (None, None)
        assert "Rendez-vous réservé" in _text(booked)
        assert "À dire à l'appelant" in _text(booked)
        assert "Apportez votre carte.\nSoyez à jeun." in _text(booked)
        assert "1, rue Test" in _text(booked)
        assert 'href="/admin?day=' in booked.text  # to the day's Suivi
        # A double click sends the form twice: the same key both times, so appointments books once.
        again = await clerk.post("/admin/book", data=_caller(page.text, notify_sms="yes", phone="514 555-0199"))
        assert again.status_code == 200
        assert seen.bookings[-1]["idempotency_key"] == sent["idempotency_key"]
        english = await clerk.get("/admin/book?lang=en")
        assert "Book an appointment for a caller" in _text(english)


async def test_bad_input_comes_back_with_each_field_said_and_nothing_booked(gateway):
    url, seen = gateway
    async with _staff(url) as clerk:
        page = await clerk.get("/admin/book")
        form = _caller(page.text, first_name="", email="", notify_sms="yes", slot_id="")
        form["birth_date-month"] = "13"
        refused = await clerk.post("/admin/book", data=form)
        assert refused.status_code == 422
        assert not seen.bookings
        for said in (
            "Choisissez une heure.",
            "Entrez le prénom.",
            "La date de naissance doit être une vraie date",
            "Indiquez au moins un courriel",
            "Entrez le numéro de cellulaire pour envoyer des textos",
        ):
            assert said in _text(refused), said
        assert 'value="Appelante"' in _text(refused)  # what was typed stays
        bad_nam = await clerk.post("/admin/book", data=_caller(page.text, nam="BAD"))
        assert bad_nam.status_code == 422
        assert "NAM invalide." in _text(bad_nam)


async def test_a_time_taken_meanwhile_says_so_and_offers_the_times_again(gateway):
    url, _ = gateway
    async with _staff(url) as clerk:
        page = await clerk.get("/admin/book")
        taken = await clerk.post("/admin/book", data=_caller(page.text, slot_id=TAKEN_SLOT))
        assert taken.status_code == 409
        assert "Cette heure vient d'être prise" in _text(taken)
        assert f'value="{FREE_SLOT}"' in _text(taken)
        assert 'value="Jeanne"' in _text(taken)


async def test_suivi_offers_cancel_and_move_for_a_caller_and_they_call_the_api(gateway):
    url, seen = gateway
    async with _staff(url) as clerk:
        cancel_page = await clerk.get(f"/admin/book/{CALLER_ROW}/cancel?day=2026-12-07")
        assert cancel_page.status_code == 200, cancel_page.text
        assert "Oui, annuler le rendez-vous" in _text(cancel_page)
        done = await clerk.post(
            f"/admin/book/{CALLER_ROW}/cancel", data={"csrf_token": _csrf(cancel_page.text), "day": "2026-12-07"}
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/admin?day=2026-12-07&done=caller_cancelled&row={CALLER_ROW}"
        assert seen.cancelled == [CALLER_ROW]
        move_page = await clerk.get(f"/admin/book/{CALLER_ROW}/move?day=2026-12-07")
        assert move_page.status_code == 200, move_page.text
        assert f'value="{FREE_SLOT}"' in _text(move_page)
        assert f'value="{TAKEN_SLOT}"' not in _text(move_page)  # its own time is no move
        moved = await clerk.post(
            f"/admin/book/{CALLER_ROW}/move",
            data={"csrf_token": _csrf(move_page.text), "day": "2026-12-07", "slot_id": FREE_SLOT},
        )
        assert moved.status_code == 303
        assert "done=caller_moved" in moved.headers["location"]
        assert seen.moved == [CALLER_ROW]
        # Booked from an account: the console does not change it for a caller.
        refused = await clerk.get(f"/admin/book/{ACCOUNT_ROW}/cancel?day=2026-12-07")
        assert refused.status_code == 404


async def test_rules_are_for_managers_and_saved_per_service(gateway):
    url, seen = gateway
    async with _staff(url) as clerk:
        forbidden = await clerk.get("/admin/rules")
        assert forbidden.status_code == 403
        assert "changer les règles de la clinique" in _text(forbidden)
    async with _staff(url, "manager") as manager:
        page = await manager.get("/admin/rules")
        assert page.status_code == 200, page.text
        assert "Soyez à jeun." in _text(page)
        form = {
            "csrf_token": _csrf(page.text),
            "cancel_cutoff_hours": "200",
            "instructions_fr": "x",
            "instructions_en": "",
        }
        refused = await manager.post(f"/admin/rules/{SERVICE}", data=form)
        assert refused.status_code == 422
        assert "de 0 à 168" in _text(refused)
        assert f'href="#cutoff-{SERVICE}"' in _text(refused)
        saved = await manager.post(f"/admin/rules/{SERVICE}", data=form | {"cancel_cutoff_hours": "48"})
        assert saved.status_code == 303
        assert seen.rules == [{"cancel_cutoff_hours": 48, "instructions_fr": "x", "instructions_en": None}]
        banner = await manager.get(saved.headers["location"])
        assert "Règles enregistrées\u00a0: Prise de sang." in _text(banner)


async def test_the_manage_page_past_the_cut_off_says_to_call_and_shows_the_refusal(gateway):
    url, _ = gateway
    async with httpx.AsyncClient(base_url=url, headers={"origin": url}) as visitor:
        page = await visitor.get(f"/appointments/{LINKED}/cancel?token=t")
        assert page.status_code == 200, page.text
        assert "ne peut plus être annulé ni déplacé en ligne" in _text(page)
        assert 'href="tel:+15145550100"' in _text(page)
        assert "Oui, annuler" not in _text(page)
        assert "À apporter ou à faire avant la visite" in _text(page)
        # Opened before the cut-off, the page had its button: the API refuses, the page says why.
        form_page = await visitor.get("/account/login")
        refused = await visitor.post(
            f"/appointments/{LINKED}/cancel", data={"csrf_token": _csrf(form_page.text), "token": "t"}
        )
        assert refused.status_code == 409
        assert "Appelez la clinique au" in _text(refused)


async def test_the_account_shows_the_instructions_and_the_refusal_past_the_cut_off_as_a_page(gateway):
    url, _ = gateway
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "aud": "citizen", "iss": "accounts", "sid": str(uuid.uuid4())}
    token = jwt.encode(claims | {"iat": now, "exp": now + 600}, PRIVATE, algorithm="ES256")
    async with httpx.AsyncClient(base_url=url, follow_redirects=False, headers={"origin": url}) as citizen:
        citizen.cookies.set("access_token", token)
        listing = await citizen.get("/account/appointments")
        assert listing.status_code == 200, listing.text
        assert "Apportez votre carte.\nSoyez à jeun." in _text(listing)
        assert f"/account/appointments/{MINE}/cancel" in listing.text  # the cut-off is 6 h away still
        form = await citizen.get(f"/account/appointments/{MINE}/cancel")
        # Pressed once the cut-off has passed: the API refuses, the page says whom to call, not an error page.
        refused = await citizen.post(f"/account/appointments/{MINE}/cancel", data={"csrf_token": _csrf(form.text)})
        assert refused.status_code == 409
        assert "Appelez la clinique au" in _text(refused)
        assert 'href="tel:+15145550100"' in refused.text
        moved = await citizen.post(
            f"/account/appointments/{MINE}/reschedule", data={"csrf_token": _csrf(form.text), "slot_id": FREE_SLOT}
        )
        assert moved.status_code == 409
        assert "Trop tard pour changer en ligne" in _text(moved)
