"""Citizen portal and admin console pages, composed from the services' APIs."""

import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from gateway import composition
from gateway.auth import Principal
from gateway.proxy import Proxy, UpstreamUnavailable
from gateway.web.dates import slot_days, when
from gateway.web.pages import render
from gateway.web.texts import language_of
from shared.errors import DomainError

router = APIRouter(include_in_schema=False)


SEARCH_FIELDS = ("postal_code", "service", "radius_km", "offset")


@router.get("/", response_class=HTMLResponse)
async def portal_home(request: Request) -> HTMLResponse:
    """Search nearby services (a list, no map), as many times as the citizen wants."""
    proxy: Proxy = request.app.state.proxy
    lang = language_of(request)
    criteria = {k: v for k in SEARCH_FIELDS if (v := request.query_params.get(k, "").strip())}
    results, errors = None, []
    if criteria.get("postal_code"):
        try:
            answer = await proxy.request("appointments", "GET", "/search", query=urlencode(criteria))
        except UpstreamUnavailable:
            return render(request, "portal/unavailable.html", status=503)
        if answer.status == 200:
            results = answer.json()
            for result in results["results"]:
                for offered in result["services"]:
                    offered["when"] = when(offered["earliest_free_slot"], lang)
        else:
            errors = answer.json().get("errors", [])
    return render(request, "portal/search.html", criteria=criteria, results=results, errors=errors)


async def _people(request: Request) -> tuple[Principal | None, list[dict[str, Any]]]:
    """The signed-in citizen and the people they may book for (themselves first)."""
    principal = _citizen(request)
    if principal is None:
        return None, []
    proxy: Proxy = request.app.state.proxy
    identity = principal.identity_headers()
    me = (await proxy.request("accounts", "GET", "/me", identity=identity)).json()
    family = (await proxy.request("accounts", "GET", "/me/dependants", identity=identity)).json()
    return principal, [{"id": "", "name": f"{me['first_name']} {me['last_name']}", "self": True}] + [
        {"id": d["id"], "name": f"{d['first_name']} {d['last_name']}", "self": False} for d in family
    ]


def _citizen(request: Request) -> Principal | None:
    try:
        principal = request.app.state.verifier.principal(request)
    except DomainError:
        return None
    return principal if principal and principal.audience == "citizen" else None


@router.get("/book/{service_id}", response_class=HTMLResponse)
async def booking_page(request: Request, service_id: uuid.UUID) -> HTMLResponse:
    proxy: Proxy = request.app.state.proxy
    lang = language_of(request)
    try:
        offered = await proxy.request("appointments", "GET", f"/services/{service_id}")
        if offered.status != 200:
            return render(request, "portal/_errors.html", status=offered.status, errors=offered.json()["errors"])
        slots = await proxy.request("appointments", "GET", "/slots", query=f"service_id={service_id}&limit=300")
        _, people = await _people(request)
    except UpstreamUnavailable:
        return render(request, "portal/unavailable.html", status=503)
    offer = offered.json()
    return render(
        request,
        "portal/book.html",
        place=offer["establishment"],
        service=offer,
        days=slot_days(slots.json(), lang),
        people=people,
    )


@router.post("/book", response_class=HTMLResponse)
async def portal_book(
    request: Request,
    slot_id: Annotated[str, Form()] = "",
    person_id: Annotated[str, Form()] = "",
    first_name: Annotated[str, Form()] = "",
    last_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "fr",
    birth_date: Annotated[str, Form()] = "",
    nam: Annotated[str, Form()] = "",
) -> HTMLResponse:
    proxy: Proxy = request.app.state.proxy
    principal = _citizen(request)
    try:
        if principal is not None:
            try:
                slot, person = uuid.UUID(slot_id), uuid.UUID(person_id) if person_id else None
            except ValueError:
                return render(request, "portal/_errors.html", status=422, errors=[_NO_SLOT])
            answer = await composition.book_for_person(proxy, principal, slot, person, request.headers)
        else:
            payload = {"slot_id": slot_id, "first_name": first_name, "last_name": last_name}
            payload |= {"email": email or None, "phone": phone or None, "language": language}
            # Optional; appointments checks the NAM (format, check digit) and keeps only its keyed HMAC.
            payload |= {"birth_date": birth_date.strip() or None, "nam": nam.strip() or None}
            # The client's address: appointments limits bookings without an account per address.
            client_ip = request.client.host if request.client else ""
            answer = await proxy.call_json("appointments", "POST", "/appointments", payload, client_ip=client_ip)
    except UpstreamUnavailable:
        return render(request, "portal/unavailable.html", status=503)
    if answer.status == 201:
        appointment = answer.json()
        return render(
            request,
            "portal/_booked.html",
            appointment=appointment,
            when=when(appointment["starts_at"], language_of(request)),
            signed_in=principal is not None,
        )
    errors = answer.json().get("errors", [])
    # htmx swaps the fragment in place; a full-page (no-JS) post gets the right status too.
    status = 200 if request.headers.get("hx-request") else answer.status
    return render(request, "portal/_errors.html", status=status, errors=errors)


_NO_SLOT = {
    "field": "slot_id",
    "code": "missing",
    "message": {"fr": "Choisissez une heure.", "en": "Choose a time."},
}


# Links from confirmation and reminder messages: act on a booking with its token, no account needed.
ManageAction = Literal["cancel", "confirm"]


@router.get("/appointments/{appointment_id}/{action}", response_class=HTMLResponse)
async def manage_page(
    request: Request, appointment_id: uuid.UUID, action: ManageAction, token: str = ""
) -> HTMLResponse:
    return render(request, f"portal/{action}.html", appointment_id=appointment_id, token=token, done=False)


@router.post("/appointments/{appointment_id}/{action}", response_class=HTMLResponse)
async def manage_submit(
    request: Request, appointment_id: uuid.UUID, action: ManageAction, token: Annotated[str, Form()] = ""
) -> HTMLResponse:
    proxy: Proxy = request.app.state.proxy
    try:
        answer = await proxy.call_json(
            "appointments", "POST", f"/appointments/{appointment_id}/{action}", {"token": token}
        )
    except UpstreamUnavailable:
        return render(request, "portal/unavailable.html", status=503)
    if answer.status == 200:
        return render(request, f"portal/{action}.html", appointment_id=appointment_id, token="", done=True)
    return render(request, "portal/_errors.html", status=answer.status, errors=answer.json().get("errors", []))
