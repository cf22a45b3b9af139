"""Citizen portal and admin console pages, composed from the services' APIs."""

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from gateway.proxy import Proxy, UpstreamUnavailable
from gateway.web.pages import render
from gateway.web.texts import language_of

router = APIRouter(include_in_schema=False)
LOCALES = {"fr": "fr_CA", "en": "en_CA"}
TZ = ZoneInfo("America/Montreal")
DAYS_SHOWN = 5


def _slot_days(slots: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    days: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for slot in slots:
        local = datetime.fromisoformat(slot["starts_at"]).astimezone(TZ)
        label = format_date(local, format="full", locale=LOCALES[lang])
        days[label].append({**slot, "time": format_time(local, format="short", locale=LOCALES[lang])})
    return [{"label": label, "slots": day_slots} for label, day_slots in list(days.items())[:DAYS_SHOWN]]


def _when(starts_at: str, lang: str) -> str:
    local = datetime.fromisoformat(starts_at).astimezone(TZ)
    return f"{format_date(local, 'full', locale=LOCALES[lang])} · {format_time(local, 'short', locale=LOCALES[lang])}"


@router.get("/", response_class=HTMLResponse)
async def portal_home(request: Request) -> HTMLResponse:
    proxy: Proxy = request.app.state.proxy
    lang = language_of(request)
    try:
        establishments = (await proxy.request("appointments", "GET", "/establishments", query="limit=20")).json()
        place = establishments[0] if establishments else None
        service = place["services"][0] if place and place["services"] else None
        slots = []
        if service:
            answer = await proxy.request(
                "appointments", "GET", "/slots", query=f"service_id={service['service_id']}&limit=300"
            )
            slots = answer.json()
    except UpstreamUnavailable:
        return render(request, "portal/unavailable.html", status=503)
    return render(request, "portal/book.html", place=place, service=service, days=_slot_days(slots, lang))


@router.post("/book", response_class=HTMLResponse)
async def portal_book(
    request: Request,
    slot_id: Annotated[str, Form()] = "",
    first_name: Annotated[str, Form()] = "",
    last_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "fr",
) -> HTMLResponse:
    proxy: Proxy = request.app.state.proxy
    payload = {
        "slot_id": slot_id,
        "first_name": first_name,
        "last_name": last_name,
        "email": email or None,
        "phone": phone or None,
        "language": language,
    }
    try:
        answer = await proxy.call_json("appointments", "POST", "/appointments", payload)
    except UpstreamUnavailable:
        return render(request, "portal/unavailable.html", status=503)
    if answer.status == 201:
        appointment = answer.json()
        lang = language_of(request)
        return render(
            request,
            "portal/_booked.html",
            appointment=appointment,
            when=_when(appointment["starts_at"], lang),
        )
    errors = answer.json().get("errors", [])
    # htmx swaps the fragment in place; a full-page (no-JS) post gets the right status too.
    status = 200 if request.headers.get("hx-request") else answer.status
    return render(request, "portal/_errors.html", status=status, errors=errors)


@router.get("/appointments/{appointment_id}/cancel", response_class=HTMLResponse)
async def cancel_page(request: Request, appointment_id: uuid.UUID, token: str = "") -> HTMLResponse:
    return render(request, "portal/cancel.html", appointment_id=appointment_id, token=token, done=False)


@router.post("/appointments/{appointment_id}/cancel", response_class=HTMLResponse)
async def cancel_submit(
    request: Request, appointment_id: uuid.UUID, token: Annotated[str, Form()] = ""
) -> HTMLResponse:
    proxy: Proxy = request.app.state.proxy
    try:
        answer = await proxy.call_json(
            "appointments", "POST", f"/appointments/{appointment_id}/cancel", {"token": token}
        )
    except UpstreamUnavailable:
        return render(request, "portal/unavailable.html", status=503)
    if answer.status == 200:
        return render(request, "portal/cancel.html", appointment_id=appointment_id, token="", done=True)
    return render(request, "portal/_errors.html", status=answer.status, errors=answer.json().get("errors", []))


@router.get("/admin", response_class=HTMLResponse)
async def admin_home(request: Request) -> HTMLResponse:
    return render(request, "admin/home.html")
