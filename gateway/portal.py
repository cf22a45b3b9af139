"""The public portal: search nearby services, pick a day and a time, book (with or without an account), and
cancel or confirm a booking by the link its messages carry.

Every answer is a full page: with JavaScript, htmx posts the booking form and swaps in the answer's <main>
(the confirmation, or the form with its refusals); without it the browser shows the same page. A service that
is down or refuses something no form can show raises through to gateway/error_pages.py's bilingual pages.
"""

import asyncio
import uuid
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from gateway import composition
from gateway.auth import Principal
from gateway.page_sessions import OptionalCitizen
from gateway.upstreams import (
    Accounts,
    Appointment,
    Appointments,
    ErrorItem,
    ManageAction,
    OfferedService,
    Person,
    SearchResult,
    Slot,
    UpstreamRefusal,
)
from gateway.upstreams.appointments import SLOTS_PER_CALL
from gateway.web.booking_texts import counted, kilometres, seats_left
from gateway.web.clinic_rules import refused_as_too_late, visit_rules
from gateway.web.dates import day_label, end_of, local, start_of, time_label, today, written_when
from gateway.web.field_messages import contact_required
from gateway.web.pages import render
from gateway.web.texts import TEXTS, language_of
from shared.request_models import Day

router = APIRouter(include_in_schema=False)

SEARCH_FIELDS = ("postal_code", "service", "radius_km", "offset")
RADII = ("10", "25", "50", "100", "250")
HORIZON = timedelta(days=366)  # how far ahead the picker looks for a day with a free time
LOOK_BACK = timedelta(days=14)  # where "previous day" looks for the day before the one shown


@router.get("/", response_class=HTMLResponse)
async def portal_home(request: Request) -> HTMLResponse:
    """Search nearby services (a list, no map), as many times as the citizen wants."""
    lang = language_of(request)
    criteria = {k: v for k in SEARCH_FIELDS if (v := request.query_params.get(k, "").strip())}
    results: list[dict[str, Any]] | None = None
    summary, errors, pages = "", {}, {}
    if "postal_code" in request.query_params and not criteria.get("postal_code"):
        errors = {"postal_code": TEXTS[lang]["booking_postal_code_missing"]}  # the form sent without one
    elif criteria.get("postal_code"):
        try:
            found = await Appointments.of(request).search(criteria)
        except UpstreamRefusal as refusal:
            if refusal.status != 422:
                raise
            errors = refusal.by_field(lang)
        else:
            results = [_result(result, lang) for result in found["results"]]
            summary = counted(lang, "booking_results", found["total"])
            pages = _result_pages(criteria, found["offset"], found["limit"], found["total"])
    return render(
        request,
        "portal/search.html",
        active="find",
        criteria=criteria,
        radii=RADII,
        results=results,
        summary=summary,
        pages=pages,
        errors=errors,
    )


def _result(result: SearchResult, lang: str) -> dict[str, Any]:
    return {
        "establishment": result["establishment"],
        "distance": kilometres(result["distance_km"], lang),
        "services": [
            {
                "id": offered["service_id"],
                "name": offered["name_fr"] if lang == "fr" else offered["name_en"],
                "earliest": written_when(offered["earliest_free_slot"], lang),
                "free": counted(lang, "booking_free_slots", offered["free_slots"]),
            }
            for offered in result["services"]
        ],
    }


def _result_pages(criteria: dict[str, str], offset: int, limit: int, total: int) -> dict[str, str]:
    def page_at(at: int) -> str:
        return "/?" + urlencode({k: v for k, v in criteria.items() if k != "offset"} | {"offset": str(at)})

    pages = {}
    if offset > 0:
        pages["previous"] = page_at(max(0, offset - limit))
    if offset + limit < total:
        pages["next"] = page_at(offset + limit)
    return pages


@router.get("/book/{service_id}", response_class=HTMLResponse)
async def booking_page(
    request: Request,
    service_id: uuid.UUID,
    principal: OptionalCitizen,
    from_: Annotated[Day | None, Query(alias="from")] = None,
) -> HTMLResponse:
    """The times of one day (the first with a free time from `from`), the days around it, and the form."""
    context = await _booking_context(request, service_id, principal, from_)
    return render(request, "portal/book.html", **context, values={"language": language_of(request)}, errors={})


async def _booking_context(
    request: Request, service_id: uuid.UUID, principal: Principal | None, asked: date | None
) -> dict[str, Any]:
    lang = language_of(request)
    appointments = Appointments.of(request)
    people_call = Accounts.of(request, principal).people() if principal is not None else _nobody()
    offered, picker, people = await asyncio.gather(
        appointments.offered_service(service_id),
        day_picker(appointments, service_id, asked, lang),
        people_call,
    )
    return {
        "active": "find",
        "offered": offered,
        "service_name": _service_name(offered, lang),
        "picker": picker,
        "people": people,
        # Generated with the page: a second submit of this form (a double click, a reload) replays its booking.
        "idempotency_key": str(uuid.uuid4()),
    }


async def _nobody() -> list[Person]:
    return []


def _service_name(offered: OfferedService, lang: str) -> str:
    return offered["name_fr"] if lang == "fr" else offered["name_en"]


async def day_picker(
    appointments: Appointments, service_id: uuid.UUID, asked: date | None, lang: str
) -> dict[str, Any]:
    """The first day from `asked` with a free time, its times, and links to the days with free times around it."""
    first_day = today()
    wanted = min(max(asked or first_day, first_day), first_day + HORIZON)

    async def first_from(day: date) -> date | None:
        slots = await appointments.free_slots_between(service_id, start_of(day), start_of(day) + HORIZON, 1)
        return local(slots[0]["starts_at"]).date() if slots else None

    shown = await first_from(wanted)
    if shown is None:
        return {"day": None, "asked": wanted if wanted > first_day else None}
    times, following, earlier = await asyncio.gather(
        appointments.free_slots_between(service_id, start_of(shown), end_of(shown), SLOTS_PER_CALL),
        first_from(shown + timedelta(days=1)),
        _day_before(appointments, service_id, shown, first_day),
    )
    return {
        "day": shown,
        "day_label": day_label(shown, lang),
        "times": [_time(slot, lang) for slot in times],
        "previous": {"from": earlier.isoformat(), "label": day_label(earlier, lang)} if earlier else None,
        "next": {"from": following.isoformat(), "label": day_label(following, lang)} if following else None,
    }


async def _day_before(appointments: Appointments, service_id: uuid.UUID, shown: date, first_day: date) -> date | None:
    if shown <= first_day:
        return None
    since = max(first_day, shown - LOOK_BACK)
    before = await appointments.free_slots_between(service_id, start_of(since), start_of(shown), SLOTS_PER_CALL)
    if before:
        return local(before[-1]["starts_at"]).date()
    # Nothing in the last two weeks: the earliest day with a free time is the way back.
    earliest = await appointments.free_slots_between(service_id, start_of(first_day), start_of(shown), 1)
    return local(earliest[0]["starts_at"]).date() if earliest else None


def _time(slot: Slot, lang: str) -> dict[str, str]:
    return {
        "id": slot["id"],
        "starts_at": slot["starts_at"],
        "label": time_label(local(slot["starts_at"]), lang),
        "seats": seats_left(slot["seats_left"], lang),
    }


@router.post("/book", response_class=HTMLResponse)
async def portal_book(
    request: Request,
    principal: OptionalCitizen,
    service_id: Annotated[str, Form(max_length=64)] = "",
    day: Annotated[str, Form(max_length=16)] = "",
    idempotency_key: Annotated[str, Form(max_length=64)] = "",
    slot_id: Annotated[str, Form(max_length=64)] = "",
    person_id: Annotated[str, Form(max_length=64)] = "",
    first_name: Annotated[str, Form(max_length=200)] = "",
    last_name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    phone: Annotated[str, Form(max_length=64)] = "",
    language: Annotated[str, Form(max_length=8)] = "",
    birth_day: Annotated[str, Form(max_length=8)] = "",
    birth_month: Annotated[str, Form(max_length=8)] = "",
    birth_year: Annotated[str, Form(max_length=8)] = "",
    nam: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    lang = language_of(request)
    values = {
        "slot_id": slot_id,
        "person_id": person_id,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "language": language or lang,
        "birth_day": birth_day,
        "birth_month": birth_month,
        "birth_year": birth_year,
        "nam": nam,
    }
    service = _uuid(service_id)
    key = idempotency_key if _uuid(idempotency_key) else str(uuid.uuid4())
    slot = _uuid(slot_id)
    try:
        if principal is not None:
            # Both of the form's choices at once: a form reports all its problems in one pass.
            unchosen = [_NO_SLOT] if slot is None else []
            unchosen += [_NO_PERSON] if person_id and _uuid(person_id) is None else []
            if unchosen or slot is None:
                raise UpstreamRefusal(422, unchosen)
            booked = await composition.booked_for_person(
                Accounts.of(request, principal), Appointments.of(request, principal), slot, _uuid(person_id), key
            )
        else:
            birth = _birth_date(birth_day, birth_month, birth_year)
            booking = {
                # Sent even when none was chosen: the service's answer then names it with every other field.
                "slot_id": str(slot) if slot else None,
                "first_name": first_name,
                "last_name": last_name,
                "email": email.strip() or None,
                "phone": phone.strip() or None,
                "language": language if language in ("fr", "en") else lang,
                # Optional; appointments checks the NAM (format, check digit) and keeps only its keyed HMAC.
                "birth_date": birth,
                "nam": nam.strip() or None,
            }
            booked = await Appointments.of(request).book_without_account(booking, key)
    except UpstreamRefusal as refusal:
        if refusal.status >= 500 or service is None:
            raise
        context = await _booking_context(request, service, principal, _day(day))
        errors = refusal.by_field(lang)
        if principal is None and refusal.status == 422 and not email.strip() and not phone.strip():
            # appointments checks the contact only once every field passes: said with the rest.
            errors.setdefault("email", contact_required(lang))
        if any(error["code"] == "idempotency_key_reused" for error in refusal.errors):
            # This form already booked, and was changed since (back, another time): a new form books anew.
            errors = {"form": TEXTS[lang]["booking_form_used"]}
        else:
            context["idempotency_key"] = key  # the same form, corrected: a double submit of it still books once
        # htmx swaps only a 2xx answer; a full-page post gets the refusal's own status.
        status = 200 if request.headers.get("hx-request") else refusal.status
        return render(request, "portal/book.html", status=status, **context, values=values, errors=errors)
    return render(
        request,
        "portal/booked.html",
        active="find",
        appointment=_shown(booked, lang),
        manage_token=booked["manage_token"] if principal is None else None,
        sent_to={"email": email.strip(), "phone": phone.strip()} if principal is None else None,
    )


_NO_SLOT: ErrorItem = {
    "field": "slot_id",
    "code": "missing",
    "message": {"fr": "Choisissez une heure.", "en": "Choose a time."},
}
_NO_PERSON: ErrorItem = {
    "field": "person_id",
    "code": "invalid",
    "message": {"fr": "Choisissez pour qui est le rendez-vous.", "en": "Choose who the appointment is for."},
}


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _birth_date(day: str, month: str, year: str) -> str | None:
    """The three boxes as the API's date; a partial or impossible one is sent as is, for the API to refuse."""
    parts = (day.strip(), month.strip(), year.strip())
    if not any(parts):
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0])).isoformat()
    except ValueError:
        return "-".join(reversed(parts))


def _shown(appointment: Appointment, lang: str) -> dict[str, Any]:
    """What a confirmation or a manage page says about an appointment."""
    place = appointment["place"]
    return {
        "id": appointment["id"],
        "status": appointment["status"],
        "confirmed": appointment["confirmed"],
        "what": appointment["service"]["name_fr" if lang == "fr" else "name_en"],
        "who": f"{appointment['first_name']} {appointment['last_name']}".strip(),
        "place": place,
        "when": written_when(appointment["starts_at"], lang),
        # The clinic's instructions for the visit, and whether it is too late to change it online.
        "rules": visit_rules(appointment, lang),
    }


# Links from confirmation and reminder messages: act on a booking with its token, no account needed.


@router.get("/appointments/{appointment_id}/calendar.ics")
async def calendar_file(
    request: Request, appointment_id: uuid.UUID, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    """The appointment for the visitor's calendar, from the confirmation of a booking made without an account, its
    e-mail or its manage page. A wrong or replaced token, or an appointment no longer booked (cancelled, say), answers
    the page that says the link no longer works, as the manage page does: no file that would put it in a calendar."""
    appointments = Appointments.of(request)
    try:
        booked = (await appointments.by_link(appointment_id, token))["status"] == "booked"
        ics = await appointments.calendar_file(appointment_id, token) if booked else None
    except UpstreamRefusal as refusal:
        if refusal.status != 404:
            raise
        ics = None
    if ics is None:
        return render(request, "portal/link_spent.html", status=404)
    disposition = f'attachment; filename="rendez-vous-{appointment_id}.ics"'
    return Response(ics, media_type="text/calendar", headers={"content-disposition": disposition})


@router.get("/appointments/{appointment_id}/{action}", response_class=HTMLResponse)
async def manage_page(
    request: Request,
    appointment_id: uuid.UUID,
    action: ManageAction,
    token: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The appointment the link is for and what the action will do, or why the link no longer works."""
    lang = language_of(request)
    try:
        appointment = await Appointments.of(request).by_link(appointment_id, token)
    except UpstreamRefusal as refusal:
        if refusal.status != 404:
            raise
        return render(request, "portal/link_spent.html", status=404)
    return render(
        request,
        "portal/manage.html",
        action=action,
        token=token,
        appointment=_shown(appointment, lang),
        done=False,
    )


@router.post("/appointments/{appointment_id}/{action}", response_class=HTMLResponse)
async def manage_submit(
    request: Request,
    appointment_id: uuid.UUID,
    action: ManageAction,
    token: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    lang = language_of(request)
    appointments = Appointments.of(request)
    try:
        appointment = await appointments.act_by_link(appointment_id, action, token)
    except UpstreamRefusal as refusal:
        if refusal.status == 409 and refused_as_too_late(refusal.errors):
            # Past the clinic's cut-off (the page may have been open since before it): the page says whom to call.
            current = _shown(await appointments.by_link(appointment_id, token), lang)
            current["rules"]["too_late"] = True
            return render(
                request, "portal/manage.html", status=409, action=action, token=token, appointment=current, done=False
            )
        if refusal.status != 404:
            raise
        return render(request, "portal/link_spent.html", status=404)
    return render(
        request, "portal/manage.html", action=action, token="", appointment=_shown(appointment, lang), done=True
    )
