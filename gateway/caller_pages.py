"""Booking for a caller (the console's "planificateur"): a clerk books, cancels or moves an appointment for
someone on the phone or at the desk, without an account. The booking is appointments' (source "admin", the
clerk in the audit log); the caller gets the usual confirmation and reminders.

One page does the whole booking, top to bottom as the clerk asks the caller: the service, the day (today or
the next day with a free time), a time, the caller's details. A clerk with a queue changes only what the
caller changes; the form keeps the rest. The confirmation says what to tell the caller, the clinic's
instructions included. The form's idempotency key makes a double click or a reload book once.
"""

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from gateway.admin_pages import day_in_words, typed_day
from gateway.auth import Principal
from gateway.console_render import render_console
from gateway.page_sessions import StaffPage
from gateway.portal import day_picker
from gateway.upstreams import Appointments, FrontDeskEntry, UpstreamRefusal
from gateway.web.clinic_rules import visit_rules
from gateway.web.dates import local, time_label, today
from gateway.web.field_messages import contact_required, missing
from gateway.web.texts import TEXTS, language_of
from shared.request_models import Day

router = APIRouter(prefix="/admin", include_in_schema=False)
SEE_OTHER = 303
SEXES = ("F", "M", "X")
LANGUAGES = ("fr", "en")
# What the form keeps of each field at most: the service refuses longer values with its own words.
FIELD_LENGTHS = {"first_name": 200, "last_name": 200, "nam": 64, "email": 320, "phone": 64}
# The caller's form's fields, in the form's order: the error summary lists them so.
FORM_ORDER = ("form", "slot_id", "first_name", "last_name", "birth_date", "sex", "nam", "email", "phone")
SLOT_REFUSALS = frozenset({"slot_full", "slot_unavailable", "slot_in_past", "unknown_slot", "appointment_not_found"})


def _establishment(staff: Principal) -> str:
    return str(staff.establishment_id)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _name(service: dict[str, Any], lang: str) -> str:
    return str(service["name_fr"] if lang == "fr" else service["name_en"])


def _chosen(services: list[dict[str, Any]], asked: str) -> dict[str, Any] | None:
    """The service asked for when it is one of this establishment's; the only one when there is one."""
    found = next((s for s in services if s["id"] == asked), None)
    if found is None and len(services) == 1:
        return services[0]
    return found


def _ordered(errors: dict[str, str]) -> dict[str, str]:
    known = {field: errors[field] for field in FORM_ORDER if field in errors}
    return known | {field: message for field, message in errors.items() if field not in known}


async def _book_page(
    request: Request,
    staff: Principal,
    *,
    service_id: str = "",
    asked: date | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    idempotency_key: str | None = None,
    go: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang = language_of(request)
    appointments = Appointments.of(request, staff)
    services = await appointments.establishment_services(_establishment(staff))
    service = _chosen(services, service_id)
    picker: dict[str, Any] = {}
    notice_day = None
    if service is not None:
        picker = await day_picker(appointments, uuid.UUID(service["id"]), asked, lang)
        if asked is not None and picker.get("day") not in (None, asked) and asked >= today():
            notice_day = TEXTS[lang]["cb_no_times_that_day"].format(asked=day_in_words(asked, lang))
    errors = errors or {}
    return await render_console(
        request,
        staff,
        "admin/book.html",
        status=status,
        active="book",
        services=[{"id": s["id"], "name": _name(s, lang)} for s in services],
        service={"id": service["id"], "name": _name(service, lang)} if service else None,
        picker=picker,
        notice_day=notice_day,
        values={"language": lang, **(values or {})},
        errors=_ordered(errors),
        idempotency_key=idempotency_key or str(uuid.uuid4()),
        go=go or {"day": "", "month": "", "year": ""},
        day_error=errors.get("go"),
    )


@router.get("/book", response_class=HTMLResponse)
async def book_page(request: Request, staff: StaffPage, service: str = "", day: Day | None = None) -> Response:
    """Service, day and times; the day is today or the next with a free time unless the clerk asks for one."""
    go, go_day = typed_day(request.query_params, "go")
    if any(go.values()):
        if go_day is None or not 1900 <= go_day.year <= 2200:
            error = {"go": TEXTS[language_of(request)]["cb_day_invalid"]}
            return await _book_page(request, staff, service_id=service, errors=error, go=go, status=422)
        day = go_day
    return await _book_page(request, staff, service_id=service, asked=day)


def _typed(form: FormData) -> dict[str, Any]:
    """What the clerk typed, kept for the form when it comes back with errors."""
    values: dict[str, Any] = {name: str(form.get(name, "")).strip()[:size] for name, size in FIELD_LENGTHS.items()}
    values |= {part: str(form.get(f"birth_date-{part}", "")).strip()[:10] for part in ("day", "month", "year")}
    values["slot_id"] = str(form.get("slot_id", ""))[:64]
    values["sex"] = str(form.get("sex", ""))[:2]
    values["language"] = str(form.get("language", ""))[:4]
    values["notify_sms"] = form.get("notify_sms") == "yes"
    return values


def _birth_date(values: dict[str, Any]) -> tuple[str | None, bool]:
    """(the ISO date, None if none or not a date; whether anything was typed)."""
    typed = any(values[part] for part in ("day", "month", "year"))
    try:
        born = date(int(values["year"]), int(values["month"]), int(values["day"]))
    except ValueError:
        return None, typed
    return (born.isoformat(), True) if 1900 <= born.year <= 2200 else (None, True)


def _own_checks(values: dict[str, Any], born: str | None, typed_born: bool, lang: str) -> dict[str, str]:
    """The gateway's checks, which the service would make one at a time or not at all (a text message with no
    mobile number): the form says them all at once."""
    t = TEXTS[lang]
    errors: dict[str, str] = {}
    if _uuid(values["slot_id"]) is None:
        errors["slot_id"] = t["cb_time_missing"]
    for field in ("first_name", "last_name"):
        if not values[field]:
            errors[field] = missing(field, lang, "other")
    if born is None:
        errors["birth_date"] = t["birth_date_invalid"] if typed_born else t["birth_date_missing"]
    if not values["email"] and not values["phone"]:
        errors["email"] = contact_required(lang)
    if values["notify_sms"] and not values["phone"]:
        errors["phone"] = t["cb_sms_needs_phone"]
    return errors


@router.post("/book", response_class=HTMLResponse)
async def book(request: Request, staff: StaffPage) -> Response:
    form = await request.form()
    lang = language_of(request)
    service_id = str(form.get("service_id", ""))[:64]
    asked = _iso_day(str(form.get("day", "")))
    key = str(form.get("idempotency_key", ""))[:64]
    key = key if _uuid(key) else str(uuid.uuid4())
    values = _typed(form)
    born, typed_born = _birth_date(values)
    errors = _own_checks(values, born, typed_born, lang)
    language = values["language"] if values["language"] in LANGUAGES else lang

    async def again(found: dict[str, str], status: int, same_key: bool = True) -> HTMLResponse:
        return await _book_page(
            request,
            staff,
            service_id=service_id,
            asked=asked,
            values=values,
            errors=found,
            idempotency_key=key if same_key else None,
            status=status,
        )

    if errors:
        return await again(errors, 422)
    booking = {
        "slot_id": values["slot_id"],
        "first_name": values["first_name"],
        "last_name": values["last_name"],
        "birth_date": born,
        "sex": values["sex"] if values["sex"] in SEXES else None,
        "nam": values["nam"] or None,
        "email": values["email"] or None,
        "phone": values["phone"] or None,
        "language": language,
        "notify_sms": values["notify_sms"],
    }
    appointments = Appointments.of(request, staff)
    try:
        booked = await appointments.book_for_caller(_establishment(staff), booking, key)
    except UpstreamRefusal as refusal:
        if refusal.status >= 500:
            raise
        codes = {error.get("code") for error in refusal.errors}
        if "idempotency_key_reused" in codes:
            # This form already booked and was changed since: a new form books anew.
            return await again({"form": TEXTS[lang]["cb_form_used"]}, 422, same_key=False)
        found = refusal.by_field(lang, "other")
        if codes & SLOT_REFUSALS:
            # Taken while the clerk typed: the times again, fresh, with the rest of the form as it was.
            values["slot_id"] = ""
            found = {k: v for k, v in found.items() if k != "slot_id"} | {"slot_id": TEXTS[lang]["cb_slot_gone"]}
        return await again({_field(k): v for k, v in found.items()}, refusal.status)
    return await _confirmation(request, staff, booked, values, language)


def _field(name: str) -> str:
    """A refusal about a field the form has not (the service's names for its inner checks) is about the form."""
    return name if name in FORM_ORDER else "form"


def _iso_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


async def _confirmation(
    request: Request, staff: Principal, booked: dict[str, Any], values: dict[str, Any], language: str
) -> HTMLResponse:
    """What the clerk tells the caller: when, where, and the clinic's instructions in the caller's language, all
    from appointments' answer (the service's and place's as booked, whatever the form said)."""
    lang = language_of(request)
    starts = local(booked["starts_at"])
    return await render_console(
        request,
        staff,
        "admin/booked.html",
        active="book",
        booked=booked,
        caller_name=f"{values['first_name']} {values['last_name']}",
        service_name=_name(booked["service"], lang),
        service_id=booked["service"]["service_id"],
        day=starts.date().isoformat(),
        day_words=day_in_words(starts.date(), lang),
        time=time_label(starts, lang),
        place=booked["place"],
        instructions=(booked.get(f"instructions_{language}") or "").strip(),
        caller_language=language,
        cutoff=booked.get("cancel_cutoff_hours") or 0,
        # Booked inside the cut-off already: the caller cannot change it online at all.
        too_late=visit_rules({**booked, "status": "booked"}, language)["too_late"],
        sent_to=[value for value in (values["email"], values["phone"]) if value],
    )


# --- cancelling or moving a caller's booking, from Suivi ---


async def _caller_entry(request: Request, staff: Principal, appointment_id: uuid.UUID) -> FrontDeskEntry | None:
    """The appointment when the console may change it for a caller: booked without an account, still booked."""
    try:
        entry = await Appointments.of(request, staff).front_desk_entry(_establishment(staff), str(appointment_id))
    except UpstreamRefusal as refusal:
        if refusal.status != 404:
            raise
        return None
    if entry.get("account_id") or entry["status"] != "booked":
        return None
    return entry


def _suivi_day(value: str) -> str:
    found = _iso_day(value)
    return (found or today()).isoformat()


def _summary(entry: FrontDeskEntry, lang: str) -> dict[str, str]:
    starts = local(entry["starts_at"])
    return {
        "patient": f"{entry['first_name']} {entry['last_name']}",
        "service": entry["service"]["name_fr" if lang == "fr" else "name_en"],
        "when": f"{day_in_words(starts.date(), lang)}, {time_label(starts, lang)}",
    }


async def _not_possible(request: Request, staff: Principal, day: str, status: int = 404) -> HTMLResponse:
    return await render_console(request, staff, "admin/caller_gone.html", status=status, active="suivi", day=day)


@router.get("/book/{appointment_id}/cancel", response_class=HTMLResponse)
async def cancel_page(request: Request, staff: StaffPage, appointment_id: uuid.UUID, day: str = "") -> Response:
    day = _suivi_day(day)
    entry = await _caller_entry(request, staff, appointment_id)
    if entry is None:
        return await _not_possible(request, staff, day)
    lang = language_of(request)
    return await render_console(
        request, staff, "admin/caller_cancel.html", active="suivi", entry=entry, shown=_summary(entry, lang), day=day
    )


@router.post("/book/{appointment_id}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, staff: StaffPage, appointment_id: uuid.UUID) -> Response:
    form = await request.form()
    day = _suivi_day(str(form.get("day", "")))
    try:
        await Appointments.of(request, staff).cancel_for_caller(_establishment(staff), str(appointment_id))
    except UpstreamRefusal as refusal:
        if refusal.status >= 500 or refusal.status in (401, 403):
            raise
        return await _not_possible(request, staff, day, refusal.status)
    return RedirectResponse(f"/admin?day={day}&done=caller_cancelled&row={appointment_id}", status_code=SEE_OTHER)


async def _move_page(
    request: Request,
    staff: Principal,
    entry: FrontDeskEntry,
    day: str,
    asked: date | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang = language_of(request)
    current = local(entry["starts_at"])
    wanted = asked or max(current.date(), today())
    picker = await day_picker(Appointments.of(request, staff), uuid.UUID(entry["service"]["service_id"]), wanted, lang)
    # The appointment's own time is not a move.
    picker["times"] = [slot for slot in picker.get("times", []) if local(slot["starts_at"]) != current]
    return await render_console(
        request,
        staff,
        "admin/caller_move.html",
        status=status,
        active="suivi",
        entry=entry,
        shown=_summary(entry, lang),
        day=day,
        picker=picker,
        errors=errors or {},
    )


@router.get("/book/{appointment_id}/move", response_class=HTMLResponse)
async def move_page(
    request: Request, staff: StaffPage, appointment_id: uuid.UUID, day: str = "", on: Day | None = None
) -> Response:
    day = _suivi_day(day)
    entry = await _caller_entry(request, staff, appointment_id)
    if entry is None:
        return await _not_possible(request, staff, day)
    return await _move_page(request, staff, entry, day, on)


@router.post("/book/{appointment_id}/move", response_class=HTMLResponse)
async def move(request: Request, staff: StaffPage, appointment_id: uuid.UUID) -> Response:
    form = await request.form()
    lang = language_of(request)
    day = _suivi_day(str(form.get("day", "")))
    on = _iso_day(str(form.get("on", "")))
    slot_id = str(form.get("slot_id", ""))[:64]
    entry = await _caller_entry(request, staff, appointment_id)
    if entry is None:
        return await _not_possible(request, staff, day)
    if _uuid(slot_id) is None:
        return await _move_page(request, staff, entry, day, on, {"slot_id": TEXTS[lang]["cb_time_missing"]}, 422)
    try:
        moved = await Appointments.of(request, staff).reschedule_for_caller(
            _establishment(staff), str(appointment_id), slot_id
        )
    except UpstreamRefusal as refusal:
        if refusal.status >= 500 or refusal.status in (401, 403):
            raise
        codes = {error.get("code") for error in refusal.errors}
        message = TEXTS[lang]["cb_slot_gone"] if codes & SLOT_REFUSALS else None
        errors = {"slot_id": message} if message else {_field(k): v for k, v in refusal.by_field(lang).items()}
        return await _move_page(request, staff, entry, day, on, errors, refusal.status)
    new_day = local(moved["starts_at"]).date().isoformat() if moved.get("starts_at") else day
    return RedirectResponse(f"/admin?day={new_day}&done=caller_moved&row={appointment_id}", status_code=SEE_OTHER)
