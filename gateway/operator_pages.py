"""The platform operators' pages: establishments (list with search, create, change, add a service, appoint the
first manager) and staff (search by e-mail, reset a second factor after a confirmation). Operators are not
clinic staff: their session names no establishment, and clinic staff get a page saying these are not theirs."""

import asyncio
import uuid
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway import audit_pages, establishment_form
from gateway.auth import Principal
from gateway.console_render import render_console
from gateway.page_sessions import OperatorPage
from gateway.schedule_form import WEEKDAYS
from gateway.staff_pages import LANGUAGES, role_word
from gateway.upstreams import Accounts, Appointments, UpstreamRefusal, Verification
from gateway.upstreams.accounts import StaffName
from gateway.web.clinic_rules import clinic_phone
from gateway.web.dates import when
from gateway.web.texts import TEXTS, language_of

router = APIRouter(prefix="/admin/operator", include_in_schema=False)
Text = Annotated[str, Form(max_length=300)]
SEE_OTHER = 303
HOME = "/admin/operator"
SHOWN = 25  # establishments listed at once: the search narrows the platform's hundreds
STAFF_SHOWN = 50
T = TypeVar("T")


async def _or_refusal(call: Awaitable[T]) -> T | UpstreamRefusal:
    """The service's answer, or its refusal of what the operator sent (4xx), which the form shows with its status.
    A service's own failure (5xx) is not the operator's to correct: it propagates to the error page."""
    try:
        return await call
    except UpstreamRefusal as refusal:
        if refusal.status >= 500:
            raise
        return refusal


def _first(refusal: UpstreamRefusal, lang: str) -> str:
    return next(iter(refusal.by_field(lang).values()), "")


def _matches(establishment: dict[str, Any], q: str) -> bool:
    words = q.casefold().split()
    haystack = " ".join(
        str(establishment.get(key) or "") for key in ("name", "city", "postal_code", "region", "address")
    ).casefold()
    return all(word in haystack for word in words)


def _phone(stored: str | None) -> str:
    shown = clinic_phone(stored)
    return shown["shown"] if shown else ""


def _service_lines(establishment: dict[str, Any], lang: str) -> list[str]:
    words = TEXTS[lang]
    lines = []
    for service in establishment.get("services") or []:
        capacity = service.get("default_capacity", 1)
        places = words["sched_places_one"] if capacity == 1 else words["sched_places_many"].format(n=capacity)
        hours = int(service.get("cancel_cutoff_hours") or 0)
        line = words["op_service_line" if hours else "op_service_line_no_cutoff"]
        lines.append(
            line.format(
                name=service["name_fr"] if lang == "fr" else service["name_en"],
                minutes=service.get("duration_minutes", ""),
                capacity=places,
                hours=hours,
            )
        )
    return lines


@router.get("", response_class=HTMLResponse)
async def establishments(
    request: Request, staff: OperatorPage, q: str = "", done: str = "", establishment: str = ""
) -> Response:
    lang = language_of(request)
    q = q.strip()[:100]
    listed = await Appointments.of(request, staff).operator_establishments()
    found = [e for e in listed if _matches(e, q)] if q else listed
    found.sort(key=lambda e: str(e["name"]).casefold())
    notice = None
    named = next((e for e in listed if str(e["id"]) == establishment), None)
    if named is not None and done in ("updated", "service_added", "manager_invited"):
        notice = TEXTS[lang][f"op_{done}"].format(name=named["name"])
    return await render_console(
        request,
        staff,
        "admin/operator.html",
        active="operator",
        q=q,
        total=len(listed),
        matching=len(found),
        establishments=[
            {**e, "service_lines": _service_lines(e, lang), "phone_shown": _phone(e.get("phone"))}
            for e in found[:SHOWN]
        ],
        notice=notice,
    )


# --- create and change an establishment ---


async def _place_page(
    request: Request,
    staff: Principal,
    establishment: dict[str, Any] | None,
    values: dict[str, Any],
    service: dict[str, str] | None,
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    return await render_console(
        request,
        staff,
        "admin/operator_establishment.html",
        status=status,
        active="operator",
        establishment=establishment,
        values=values,
        service=service,
        errors=errors,
        weekdays=WEEKDAYS,
    )


@router.get("/new", response_class=HTMLResponse)
async def new_establishment(request: Request, staff: OperatorPage) -> Response:
    blank = establishment_form.blank_place()
    return await _place_page(request, staff, None, blank, establishment_form.blank_service(), {})


@router.post("/new", response_class=HTMLResponse)
async def create_establishment(request: Request, staff: OperatorPage) -> Response:
    form = await request.form()
    lang = language_of(request)
    values, errors, place = establishment_form.read_place(form, lang)
    service_values, service_errors, service = establishment_form.read_service(form, lang)
    errors |= service_errors
    if place is None or service is None:
        return await _place_page(request, staff, None, values, service_values, errors, 422)
    created = await _or_refusal(Appointments.of(request, staff).create_establishment(place | {"services": [service]}))
    if isinstance(created, UpstreamRefusal):
        known = establishment_form.PLACE_FIELDS + establishment_form.SERVICE_FIELDS
        shown = establishment_form.refused_fields(created.by_field(lang), known)
        return await _place_page(request, staff, None, values, service_values, shown, created.status)
    return RedirectResponse(f"{HOME}/establishments/{created['id']}/manager?created=1", status_code=SEE_OTHER)


async def _establishment(request: Request, staff: Principal, establishment_id: uuid.UUID) -> dict[str, Any]:
    found: dict[str, Any] = await Appointments.of(request, staff).operator_establishment(str(establishment_id))
    return found


@router.get("/establishments/{establishment_id}", response_class=HTMLResponse)
async def edit_establishment(request: Request, staff: OperatorPage, establishment_id: uuid.UUID) -> Response:
    found = await _establishment(request, staff, establishment_id)
    return await _place_page(request, staff, found, establishment_form.place_values(found), None, {})


@router.post("/establishments/{establishment_id}", response_class=HTMLResponse)
async def update_establishment(request: Request, staff: OperatorPage, establishment_id: uuid.UUID) -> Response:
    found = await _establishment(request, staff, establishment_id)
    lang = language_of(request)
    values, errors, place = establishment_form.read_place(await request.form(), lang)
    if place is None:
        return await _place_page(request, staff, found, values, None, errors, 422)
    refusal = await _or_refusal(Appointments.of(request, staff).update_establishment(str(establishment_id), place))
    if isinstance(refusal, UpstreamRefusal):
        shown = establishment_form.refused_fields(refusal.by_field(lang), establishment_form.PLACE_FIELDS)
        return await _place_page(request, staff, found, values, None, shown, refusal.status)
    return RedirectResponse(f"{HOME}?done=updated&establishment={establishment_id}", status_code=SEE_OTHER)


# --- add a service ---


async def _service_page(
    request: Request,
    staff: Principal,
    establishment: dict[str, Any],
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    return await render_console(
        request,
        staff,
        "admin/operator_service.html",
        status=status,
        active="operator",
        establishment=establishment,
        service=values,
        errors=errors,
    )


@router.get("/establishments/{establishment_id}/services", response_class=HTMLResponse)
async def new_service(request: Request, staff: OperatorPage, establishment_id: uuid.UUID) -> Response:
    found = await _establishment(request, staff, establishment_id)
    return await _service_page(request, staff, found, establishment_form.blank_service(), {})


@router.post("/establishments/{establishment_id}/services", response_class=HTMLResponse)
async def add_service(request: Request, staff: OperatorPage, establishment_id: uuid.UUID) -> Response:
    found = await _establishment(request, staff, establishment_id)
    lang = language_of(request)
    values, errors, service = establishment_form.read_service(await request.form(), lang)
    if service is None:
        return await _service_page(request, staff, found, values, errors, 422)
    refusal = await _or_refusal(Appointments.of(request, staff).add_service(str(establishment_id), service))
    if isinstance(refusal, UpstreamRefusal):
        shown = establishment_form.refused_fields(refusal.by_field(lang), establishment_form.SERVICE_FIELDS)
        return await _service_page(request, staff, found, values, shown, refusal.status)
    return RedirectResponse(f"{HOME}?done=service_added&establishment={establishment_id}", status_code=SEE_OTHER)


# --- appoint the first manager ---


async def _manager_page(
    request: Request,
    staff: Principal,
    establishment: dict[str, Any],
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    created: bool = False,
) -> HTMLResponse:
    lang = language_of(request)
    notice = TEXTS[lang]["op_created"].format(name=establishment["name"]) if created else None
    return await render_console(
        request,
        staff,
        "admin/operator_manager.html",
        status=status,
        active="operator",
        establishment=establishment,
        values=values,
        errors=errors,
        notice=notice,
    )


@router.get("/establishments/{establishment_id}/manager", response_class=HTMLResponse)
async def manager_form(
    request: Request, staff: OperatorPage, establishment_id: uuid.UUID, created: int = 0
) -> Response:
    found = await _establishment(request, staff, establishment_id)
    values = {"email": "", "language": language_of(request)}
    return await _manager_page(request, staff, found, values, {}, created=created == 1)


@router.post("/establishments/{establishment_id}/manager", response_class=HTMLResponse)
async def appoint_manager(
    request: Request, staff: OperatorPage, establishment_id: uuid.UUID, email: Text = "", language: Text = ""
) -> Response:
    found = await _establishment(request, staff, establishment_id)
    lang = language_of(request)
    values = {"email": email, "language": language}
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = TEXTS[lang]["staff_email_missing"]
    if language not in LANGUAGES:
        errors["language"] = TEXTS[lang]["staff_language_missing"]
    if errors:
        return await _manager_page(request, staff, found, values, errors, 422)
    invitation = {
        "establishment_id": str(establishment_id),
        "email": email.strip(),
        "language": language,
        "establishment_name": found["name"],
    }
    refusal = await _or_refusal(Accounts.of(request, staff).appoint_manager(invitation))
    if isinstance(refusal, UpstreamRefusal):
        shown = refusal.by_field(lang)
        kept = {key if key in ("email", "language") else "email": message for key, message in shown.items()}
        return await _manager_page(request, staff, found, values, kept, refusal.status)
    return RedirectResponse(f"{HOME}?done=manager_invited&establishment={establishment_id}", status_code=SEE_OTHER)


# --- staff: search, reset a second factor ---


def _role_lines(person: dict[str, Any], names: dict[str, str], lang: str) -> list[str]:
    words = TEXTS[lang]
    lines = [words["op_staff_operator"]] if person.get("operator") else []
    for held in person.get("roles") or []:
        role = role_word(held["role"], lang)
        role = words["op_staff_disabled_role"].format(role=role) if held.get("disabled") else role
        lines.append(f"{names.get(str(held['establishment_id']), str(held['establishment_id']))} : {role}")
    return lines


async def _staff_list(
    request: Request, staff: Principal, email: str, status: int = 200, notice: str | None = None
) -> HTMLResponse:
    lang = language_of(request)
    people = await Accounts.of(request, staff).operator_staff()
    wanted = email.strip().casefold()
    found = [p for p in people if wanted in str(p["email"]).casefold()] if wanted else people
    found.sort(key=lambda p: str(p["email"]).casefold())
    found = found[:STAFF_SHOWN]
    names: dict[str, str] = {}
    held = {str(r["establishment_id"]) for p in found for r in p.get("roles") or []}
    if held:
        listed = await Appointments.of(request, staff).operator_establishments()
        names = {str(e["id"]): str(e["name"]) for e in listed}
    rows = [{**p, "role_lines": _role_lines(p, names, lang)} for p in found]
    return await render_console(
        request,
        staff,
        "admin/operator_staff.html",
        status=status,
        active="operator_staff",
        email=email,
        people=rows,
        total=len(people),
        notice=notice,
    )


@router.get("/staff", response_class=HTMLResponse)
async def staff_list(request: Request, staff: OperatorPage, email: str = "", done: str = "") -> Response:
    notice = None
    if done:
        people = await Accounts.of(request, staff).operator_staff()
        person = next((p for p in people if str(p["staff_id"]) == done), None)
        if person is not None:
            notice = TEXTS[language_of(request)]["op_staff_reset_done"].format(name=person["name"])
    return await _staff_list(request, staff, email[:200], notice=notice)


async def _person(request: Request, staff: Principal, staff_id: uuid.UUID) -> dict[str, Any] | None:
    people = await Accounts.of(request, staff).operator_staff()
    return next((p for p in people if str(p["staff_id"]) == str(staff_id)), None)


async def _reset_page(
    request: Request, staff: Principal, staff_id: uuid.UUID, status: int = 200, error: str = ""
) -> Response:
    person = await _person(request, staff, staff_id)
    if person is None:
        return RedirectResponse(f"{HOME}/staff", status_code=SEE_OTHER)
    return await render_console(
        request,
        staff,
        "admin/operator_reset.html",
        status=status,
        active="operator_staff",
        person=person,
        errors={"form": error} if error else {},
    )


@router.get("/staff/{staff_id}/factor-reset", response_class=HTMLResponse)
async def confirm_reset(request: Request, staff: OperatorPage, staff_id: uuid.UUID) -> Response:
    return await _reset_page(request, staff, staff_id)


@router.post("/staff/{staff_id}/factor-reset", response_class=HTMLResponse)
async def reset_factor(request: Request, staff: OperatorPage, staff_id: uuid.UUID) -> Response:
    refusal = await _or_refusal(Accounts.of(request, staff).reset_factor(str(staff_id)))
    if isinstance(refusal, UpstreamRefusal):
        return await _reset_page(request, staff, staff_id, refusal.status, _first(refusal, language_of(request)))
    return RedirectResponse(f"{HOME}/staff?done={staff_id}", status_code=SEE_OTHER)


# --- the operators' own audit log ---

AUDIT_SHOWN = 200  # the most recent: operators' acts are few (establishments, managers, factor resets)


@router.get("/audit", response_class=HTMLResponse)
async def operator_audit(request: Request, staff: OperatorPage) -> Response:
    """What operators did (establishments created or changed, services added, managers appointed, factors reset),
    newest first, each by its operator's name and with the establishment it touched."""
    lang = language_of(request)
    entries, people, places = await asyncio.gather(
        Verification.of(request, staff).operator_audit_log(limit=AUDIT_SHOWN),
        Accounts.of(request, staff).operator_staff(),
        Appointments.of(request, staff).operator_establishments(),
    )
    names = {
        str(p["staff_id"]): StaffName(
            id=str(p["staff_id"]),
            name=str(p["name"]),
            role="operator" if p.get("operator") else str((p.get("roles") or [{"role": ""}])[0]["role"]),
        )
        for p in people
    }
    where = {str(e["id"]): str(e["name"]) for e in places}
    shown = [
        {
            **entry,
            "when": when(entry["at"], lang),
            "label": audit_pages.ACTIONS[lang].get(entry["action"], entry["action"]),
            "by": names[entry["actor"]]["name"]
            if entry["actor"] in names
            else audit_pages.actor_name(entry["actor"], names, lang, entry.get("actor_role")),
            "place": where.get(str(entry.get("establishment_id") or ""), ""),
            "sentence": audit_pages.details_sentence(entry, lang, names),
        }
        for entry in entries
    ]
    return await render_console(request, staff, "admin/operator_audit.html", active="operator_audit", entries=shown)
