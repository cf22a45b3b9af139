"""The clinic's rules in the console, for its managers: per service, how late citizens may cancel or move
online (the cut-off in hours) and the instructions before the visit in French and English. Each service has
its own form; appointments keeps the rules and announces them (EstablishmentChanged, rules_changed). Below
them, the establishment's waitlist hold: how long a seat offered from the waitlist is held (issue 22)."""

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.auth import Principal
from gateway.console_render import render_console
from gateway.page_sessions import StaffPage
from gateway.upstreams import Appointments, UpstreamRefusal
from gateway.web.texts import TEXTS, language_of

router = APIRouter(prefix="/admin/rules", include_in_schema=False)
SEE_OTHER = 303
MAX_CUTOFF_HOURS = 168  # a week, as appointments allows
MAX_INSTRUCTIONS = 1000  # characters, as appointments allows
HOLD_MINUTES = range(1, 1441)  # a seat offered from the waitlist is held 1 minute to a day, as appointments allows
# A field of the rules request -> the suffix of its box's id in the service's form.
FIELDS = {"cancel_cutoff_hours": "cutoff", "instructions_fr": "fr", "instructions_en": "en"}


def _establishment(staff: Principal) -> str:
    return str(staff.establishment_id)


def _name(service: dict[str, Any], lang: str) -> str:
    return str(service["name_fr"] if lang == "fr" else service["name_en"])


def box_id(service_id: str, field: str) -> str:
    """Unique on the page, where every service has its form: the error summary links to it."""
    return f"{FIELDS[field]}-{service_id}"


async def _forbidden(request: Request, staff: Principal) -> HTMLResponse | None:
    """A clerk gets the manager-only page that says why, never a form that would fail."""
    if staff.role == "manager":
        return None
    return await render_console(request, staff, "admin/forbidden.html", status=403, active="rules")


async def _rules_page(
    request: Request,
    staff: Principal,
    *,
    status: int = 200,
    notice: str | None = None,
    posted: str | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    hold_typed: str | None = None,
) -> HTMLResponse:
    lang = language_of(request)
    appointments = Appointments.of(request, staff)
    services, lengths = await asyncio.gather(
        appointments.establishment_services(_establishment(staff)),
        appointments.waitlist_lengths(_establishment(staff)),
    )
    hold = lengths["hold_minutes"]
    shown = []
    for service in services:
        values = {
            "cancel_cutoff_hours": str(service.get("cancel_cutoff_hours") or 0),
            "instructions_fr": service.get("instructions_fr") or "",
            "instructions_en": service.get("instructions_en") or "",
        }
        if service["id"] == posted and typed is not None:
            values = typed  # what the manager typed stays, to be corrected
        shown.append({"id": service["id"], "name": _name(service, lang), "typed": values})
    return await render_console(
        request,
        staff,
        "admin/rules.html",
        status=status,
        active="rules",
        services=shown,
        notice=notice,
        errors=errors or {},
        posted=posted,
        max_cutoff=MAX_CUTOFF_HOURS,
        max_instructions=MAX_INSTRUCTIONS,
        hold_minutes=hold_typed if hold_typed is not None else str(hold),
    )


@router.get("", response_class=HTMLResponse)
async def rules_page(request: Request, staff: StaffPage, saved: str = "", hold_saved: str = "") -> Response:
    refused = await _forbidden(request, staff)
    if refused is not None:
        return refused
    notice = None
    if hold_saved.isdigit():
        notice = TEXTS[language_of(request)]["wl_rules_saved"].format(minutes=int(hold_saved))
    elif saved:
        services = await Appointments.of(request, staff).establishment_services(_establishment(staff))
        found = next((s for s in services if s["id"] == saved), None)
        if found is not None:
            notice = TEXTS[language_of(request)]["rules_saved"].format(service=_name(found, language_of(request)))
    return await _rules_page(request, staff, notice=notice)


def _cutoff(typed: str) -> int | None:
    try:
        hours = int(typed.strip().removesuffix("h").strip())
    except ValueError:
        return None
    return hours if 0 <= hours <= MAX_CUTOFF_HOURS else None


# Declared before the services' route, whose path would otherwise take "waitlist" for a service's id.
@router.post("/waitlist", response_class=HTMLResponse)
async def save_waitlist_hold(request: Request, staff: StaffPage) -> Response:
    refused = await _forbidden(request, staff)
    if refused is not None:
        return refused
    form = await request.form()
    typed = str(form.get("hold_minutes", ""))[:16]
    lang = language_of(request)
    try:
        minutes = int(typed.strip())
    except ValueError:
        minutes = 0
    if minutes not in HOLD_MINUTES:
        errors = {"hold_minutes": TEXTS[lang]["wl_rules_hold_invalid"]}
        return await _rules_page(request, staff, status=422, errors=errors, hold_typed=typed)
    try:
        saved = await Appointments.of(request, staff).set_waitlist_rules(_establishment(staff), minutes)
    except UpstreamRefusal as refusal:
        if refusal.status >= 500 or refusal.status in (401, 403, 404):
            raise
        reasons = list(refusal.by_field(lang).values())
        errors = {"hold_minutes": reasons[0] if reasons else TEXTS[lang]["wl_rules_hold_invalid"]}
        return await _rules_page(request, staff, status=422, errors=errors, hold_typed=typed)
    return RedirectResponse(f"/admin/rules?hold_saved={saved}#waitlist", status_code=SEE_OTHER)


@router.post("/{service_id}", response_class=HTMLResponse)
async def save_rules(request: Request, staff: StaffPage, service_id: uuid.UUID) -> Response:
    refused = await _forbidden(request, staff)
    if refused is not None:
        return refused
    form = await request.form()
    lang = language_of(request)
    sid = str(service_id)
    typed = {field: str(form.get(field, ""))[: MAX_INSTRUCTIONS * 2] for field in FIELDS}
    typed["cancel_cutoff_hours"] = typed["cancel_cutoff_hours"][:16]
    errors: dict[str, str] = {}
    hours = _cutoff(typed["cancel_cutoff_hours"])
    if hours is None:
        errors[box_id(sid, "cancel_cutoff_hours")] = TEXTS[lang]["rules_cutoff_invalid"]
    for field in ("instructions_fr", "instructions_en"):
        if len(typed[field].strip()) > MAX_INSTRUCTIONS:
            errors[box_id(sid, field)] = TEXTS[lang][f"rules_{field}_too_long"]
    if not errors:
        rules = {
            "cancel_cutoff_hours": hours,
            "instructions_fr": typed["instructions_fr"].strip() or None,
            "instructions_en": typed["instructions_en"].strip() or None,
        }
        try:
            await Appointments.of(request, staff).set_service_rules(_establishment(staff), sid, rules)
        except UpstreamRefusal as refusal:
            if refusal.status >= 500 or refusal.status in (401, 403, 404):
                raise
            errors = {
                box_id(sid, field) if field in FIELDS else "form": message
                for field, message in refusal.by_field(lang).items()
            }
    if errors:
        return await _rules_page(request, staff, status=422, posted=sid, typed=typed, errors=errors)
    return RedirectResponse(f"/admin/rules?saved={sid}", status_code=SEE_OTHER)
