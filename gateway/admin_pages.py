"""The clinic console: the day's list (Suivi) with attendance and the guide's front-desk sequence (Présent, then
identity, then association), the icon legend, and schedules (managers). Sign-in is gateway/console_sign_in.py.

Staff sessions use their own cookies, so a citizen session in the same browser never mixes in.
"""

import asyncio
import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway import schedule_form
from gateway.auth import Principal
from gateway.console_flash import Flash, FlashCookie, Validated, shown_validated
from gateway.console_render import render_console
from gateway.page_sessions import StaffPage
from gateway.session_cookies import SessionCookies
from gateway.upstreams import Appointments, FrontDeskEntry, UpstreamRefusal, Verification
from gateway.web import icon_legend
from gateway.web.dates import LOCALES, when
from gateway.web.field_messages import empty_ones
from gateway.web.texts import TEXTS, language_of
from shared.errors import ApiError
from shared.request_models import Day

router = APIRouter(prefix="/admin", include_in_schema=False)
Text = Annotated[str, Form()]
SEE_OTHER = 303
MONTREAL = ZoneInfo("America/Montreal")
Step = Literal["identity", "association"]
# What just happened, shown as a success banner on the page the clerk lands on (?done=…). Attendance and a
# caller's booking cancelled or moved (gateway/caller_pages.py) only: a
# validation's banner comes with its new state in the signed flash (gateway/console_flash.py), never from a link.
DONE = ("arrived", "noshow", "fulfilled", "caller_cancelled", "caller_moved")
# The sexes the validation API accepts (shared/nam.py): a NAM encodes one of these two.
SEXES = ("F", "M")


def _cookies(request: Request) -> SessionCookies:
    cookies: SessionCookies = request.app.state.cookies
    return cookies


def _flash(request: Request) -> FlashCookie:
    return FlashCookie(_cookies(request).secure)


def staff_of(request: Request) -> Principal | None:
    """The staff session's access token, if valid (no refresh). Kept for the portal's registration check until
    it asks for `OptionalStaff` itself; console pages take `StaffPage`."""
    token = request.cookies.get(_cookies(request).staff_access)
    if not token:
        return None
    try:
        principal: Principal = request.app.state.verifier.from_token(token)
    except ApiError:
        return None
    return principal if principal.audience == "staff" else None


def _establishment(staff: Principal) -> str:
    return str(staff.establishment_id)


def _today() -> date:
    return datetime.now(MONTREAL).date()


def _console_day(value: str) -> str:
    """The list's day as an ISO date, today when absent or not a date: it is put back in redirect URLs, where
    anything else (a CR/LF, say) would break the Location header."""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return _today().isoformat()


def day_in_words(day: date, lang: str) -> str:
    """e.g. "samedi 6 décembre 2026", "Saturday, December 6, 2026"."""
    return format_date(day, "full", locale=LOCALES[lang])


def _notice(done: str, row: str | None, entries: list[FrontDeskEntry], lang: str, flash: Flash | None) -> str | None:
    """The banner: the attendance just recorded (?done=), else the validation the signed flash carries."""
    if done not in DONE:
        done, row = (flash.done, flash.row) if flash is not None else ("", None)
    entry = next((e for e in entries if row and e["id"] == row), None)
    if not done or entry is None:
        return None
    return TEXTS[lang][f"done_{done}"].format(patient=f"{entry['first_name']} {entry['last_name']}")


def typed_day(query: Any, prefix: str) -> tuple[dict[str, str], date | None]:
    """(what was typed in a GOV.UK date input's three boxes, kept for the form; the date, None if not one)."""
    typed = {part: str(query.get(f"{prefix}-{part}", "")).strip()[:10] for part in ("day", "month", "year")}
    try:
        return typed, date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
    except ValueError:
        return typed, None


@router.get("", response_class=HTMLResponse)
async def suivi(
    request: Request, staff: StaffPage, day: Day | None = None, done: str = "", row: uuid.UUID | None = None
) -> Response:
    lang = language_of(request)
    go, go_day = typed_day(request.query_params, "go")
    day_error = None
    if any(go.values()):
        if go_day is not None and 1900 <= go_day.year <= 2200:
            return RedirectResponse(f"/admin?day={go_day.isoformat()}", status_code=SEE_OTHER)
        day_error = TEXTS[lang]["go_day_invalid"]
    day = day or _today()
    # Read-your-writes: the list learns of a validation by event, maybe after this one read of it (each read is
    # audited); what the validation just changed comes with it from verification's answer, signed.
    flash_cookie = _flash(request)
    flash = flash_cookie.read(request, staff)
    entries = await Appointments.of(request, staff).day_list(_establishment(staff), day.isoformat())
    if flash is not None:
        entries = [shown_validated(entry, flash.validated) for entry in entries]
    rows = [
        {
            **entry,
            "time": when(entry["starts_at"], lang).split(" · ")[-1],
            "state": icon_legend.state_of(entry),
            # A cancelled or closed appointment has nothing left to validate at the desk.
            "active": entry["status"] in ("booked", "arrived"),
        }
        for entry in entries
    ]
    notice = _notice(done, str(row) if row else None, entries, lang, flash)
    page = await render_console(
        request,
        staff,
        "admin/suivi.html",
        active="suivi",
        day=day.isoformat(),
        day_words=day_in_words(day, lang),
        previous_day=(day - timedelta(days=1)).isoformat(),
        next_day=(day + timedelta(days=1)).isoformat(),
        today=_today().isoformat(),
        entries=rows,
        notice=notice,
        icons=icon_legend,
        go=go if day_error else {"day": "", "month": "", "year": ""},
        day_error=day_error,
        status=422 if day_error else 200,
    )
    if flash_cookie.name in request.cookies:
        flash_cookie.clear(page)  # read once: a reload shows the list as read
    return page


@router.get("/legend", response_class=HTMLResponse)
async def legend(request: Request, staff: StaffPage, day: Day | None = None) -> Response:
    """The guide's summary of the Suivi icons: each state, what it means, what to do."""
    return await render_console(
        request,
        staff,
        "admin/legend.html",
        active="legend",
        day=day.isoformat() if day else None,
        page=icon_legend.PAGE,
        states=icon_legend.STATES,
        icons=icon_legend,
    )


@router.post("/appointments/{appointment_id}/{attendance}")
async def record_attendance(
    request: Request, staff: StaffPage, appointment_id: uuid.UUID, attendance: str, day: Text = ""
) -> Response:
    day = _console_day(day)
    if attendance not in ("arrived", "noshow", "fulfilled"):
        return RedirectResponse(f"/admin?day={day}", status_code=SEE_OTHER)
    await Appointments.of(request, staff).record_attendance(_establishment(staff), str(appointment_id), attendance)
    if attendance == "arrived":
        # Marking "Présent" starts the sequence: identity, then association, where still red.
        entry = await Appointments.of(request, staff).front_desk_entry(_establishment(staff), str(appointment_id))
        step = _next_step(entry)
        if step is not None:
            return RedirectResponse(_window(appointment_id, step, day, "arrived"), status_code=SEE_OTHER)
    return RedirectResponse(f"/admin?day={day}&done={attendance}&row={appointment_id}", status_code=SEE_OTHER)


def _window(appointment_id: uuid.UUID | str, step: Step, day: str, done: str = "") -> str:
    return f"/admin/appointments/{appointment_id}/{step}?day={day}" + (f"&done={done}" if done else "")


def _next_step(entry: FrontDeskEntry) -> Step | None:
    """The seed's sequence at the front desk: present, then identity, then association."""
    if not entry.get("account_id"):
        return None
    if entry["profile_icon"] == "red":
        return "identity"
    if icon_legend.booked_for_someone_else(entry) and entry["card_icon"] == "red":
        return "association"
    return None


async def _schedules_page(request: Request, staff: Principal, status: int = 200, **extra: Any) -> HTMLResponse:
    appointments = Appointments.of(request, staff)
    services, schedules = await asyncio.gather(
        appointments.establishment_services(_establishment(staff)), appointments.schedules(_establishment(staff))
    )
    lang = language_of(request)
    # Each service with its schedules in words, services without one left out.
    by_service = [
        {
            "name": service["name_fr"] if lang == "fr" else service["name_en"],
            "schedules": [schedule_form.written(s, lang) for s in schedules if s["service_id"] == service["id"]],
        }
        for service in services
    ]
    extra.setdefault("errors", {})
    extra.setdefault("values", {})
    return await render_console(
        request,
        staff,
        "admin/schedules.html",
        status=status,
        active="schedules",
        services=services,
        by_service=[s for s in by_service if s["schedules"]],
        closed_days=schedule_form.CLOSED_DAYS,
        **extra,
    )


async def _managers_only(request: Request, staff: Principal) -> HTMLResponse | None:
    """A clerk who opens a manager's page gets a plain 403 page that says why, never a form that would fail."""
    if staff.role == "manager":
        return None
    return await render_console(request, staff, "admin/forbidden.html", status=403)


@router.get("/schedules", response_class=HTMLResponse)
async def schedules_page(request: Request, staff: StaffPage, created: int = -1) -> Response:
    refused = await _managers_only(request, staff)
    if refused is not None:
        return refused
    lang = language_of(request)
    notice = None
    if created >= 0:
        notice = TEXTS[lang]["slots_created_one" if created == 1 else "slots_created_many"].format(count=created)
    return await _schedules_page(request, staff, notice=notice)


@router.post("/schedules", response_class=HTMLResponse)
async def create_schedule(request: Request, staff: StaffPage) -> Response:
    """First the form is checked and the number of slots it opens is shown; the manager then confirms."""
    refused = await _managers_only(request, staff)
    if refused is not None:
        return refused
    form = await request.form()
    lang = language_of(request)
    values, errors, payload = schedule_form.read(form, lang)
    if payload is None:
        return await _schedules_page(request, staff, 422, errors=errors, values=values)
    if form.get("confirmed") != "yes":
        count = schedule_form.slot_count(payload)
        period = schedule_form.written(payload, lang)
        first, last = date.fromisoformat(payload["valid_from"]), date.fromisoformat(payload["valid_to"])
        key = (
            "sched_will_create_none"
            if count == 0
            else "sched_will_create_one"
            if count == 1
            else "sched_will_create_many"
        )
        check = {
            "sentence": TEXTS[lang][key].format(
                count=count, start=day_in_words(first, lang), end=day_in_words(last, lang)
            ),
            "count": count,
            **period,
        }
        return await _schedules_page(request, staff, values=values, check=check)
    try:
        created = await Appointments.of(request, staff).create_schedule(_establishment(staff), payload)
    except UpstreamRefusal as refusal:
        if refusal.status >= 500:
            raise
        return await _schedules_page(
            request, staff, refusal.status, errors=refusal.by_field(language_of(request)), values=values
        )
    return RedirectResponse(f"/admin/schedules?created={created}", status_code=SEE_OTHER)


def _shown(entry: FrontDeskEntry, step: Step) -> dict[str, str]:
    """What the window shows first: identification is of the account holder, who may not be the patient."""
    if step == "identity" and icon_legend.booked_for_someone_else(entry):
        # The booking's birth date and sex are the patient's, not the holder's: the clerk reads the holder's card.
        first, _, last = (entry.get("holder_name") or "").partition(" ")
        return {"first_name": first, "last_name": last, "birth_date": "", "sex": ""}
    born = entry.get("birth_date") or ""
    # Pre-selected as entered in the account, when it is one the validation API takes; otherwise the clerk chooses.
    sex = entry.get("sex") or ""
    shown_sex = sex if sex in SEXES else ""
    return {"first_name": entry["first_name"], "last_name": entry["last_name"], "birth_date": born, "sex": shown_sex}


def date_parts(iso: str) -> dict[str, str]:
    try:
        born = date.fromisoformat(iso)
    except ValueError:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(born.day), "month": str(born.month), "year": str(born.year)}


def _identified(entry: FrontDeskEntry) -> str:
    """Whom the identity window identifies, in the guide's terms: the patient, or the account holder when the
    appointment is for someone else on their account."""
    return "holder" if icon_legend.booked_for_someone_else(entry) else "patient"


def _stepper(entry: FrontDeskEntry, step: Step) -> list[dict[str, Any]]:
    """The guide's three steps for this row (3.3): done, current, or still to do (or not needed)."""
    association_needed = icon_legend.booked_for_someone_else(entry)
    identity_done = entry["profile_icon"] == "green" or step == "association"
    return [
        {"key": "present", "state": "done" if entry["status"] in ("arrived", "fulfilled") else "todo"},
        {
            "key": f"identity_{_identified(entry)}",
            "state": "current" if step == "identity" else ("done" if identity_done else "todo"),
        },
        {
            "key": "association",
            "state": "current"
            if step == "association"
            else ("done" if entry["card_icon"] == "green" else "todo" if association_needed else "none"),
        },
    ]


async def _window_page(
    request: Request,
    staff: Principal,
    entry: FrontDeskEntry,
    step: Step,
    day: str,
    shown: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    notice: str | None = None,
    born: dict[str, str] | None = None,
) -> HTMLResponse:
    return await render_console(
        request,
        staff,
        f"admin/{step}.html",
        status=status,
        active="suivi",
        entry=entry,
        day=day,
        shown=shown,
        born=born or date_parts(shown.get("birth_date", "")),
        errors=errors,
        steps=_stepper(entry, step),
        who=_identified(entry),
        sexes=SEXES,
        notice=notice,
    )


async def _entry_for(request: Request, staff: Principal, appointment_id: uuid.UUID, step: str) -> FrontDeskEntry | None:
    """The appointment behind a window, when that window applies to it (an account to validate)."""
    if step not in ("identity", "association"):
        return None
    entry = await Appointments.of(request, staff).front_desk_entry(_establishment(staff), str(appointment_id))
    if not entry.get("account_id"):
        return None
    if step == "association" and not icon_legend.booked_for_someone_else(entry):
        return None
    return entry


@router.get("/appointments/{appointment_id}/{step}", response_class=HTMLResponse)
async def validation_page(
    request: Request, staff: StaffPage, appointment_id: uuid.UUID, step: str, day: str = "", done: str = ""
) -> Response:
    day = _console_day(day)
    entry = await _entry_for(request, staff, appointment_id, step)
    if entry is None:
        return RedirectResponse(f"/admin?day={day}", status_code=SEE_OTHER)
    window: Step = "identity" if step == "identity" else "association"
    # The identity just validated, for the association window: left in the flash for the Suivi page after it.
    notice = _notice(done, str(appointment_id), [entry], language_of(request), _flash(request).read(request, staff))
    return await _window_page(request, staff, entry, window, day, _shown(entry, window), {}, notice=notice)


def typed_birth_date(form: Any) -> tuple[dict[str, str], str | None]:
    """(what was typed in the date input's three boxes, kept for the form; the ISO date, None if not one)."""
    typed = {part: str(form.get(f"birth_date-{part}", "")).strip()[:10] for part in ("day", "month", "year")}
    try:
        return typed, date(int(typed["year"]), int(typed["month"]), int(typed["day"])).isoformat()
    except ValueError:
        return typed, None


@router.post("/appointments/{appointment_id}/{step}/confirm", response_class=HTMLResponse)
async def validate(request: Request, staff: StaffPage, appointment_id: uuid.UUID, step: str) -> Response:
    form = await request.form()
    day = _console_day(str(form.get("day", "")))
    entry = await _entry_for(request, staff, appointment_id, step)
    if entry is None:
        return RedirectResponse(f"/admin?day={day}", status_code=SEE_OTHER)
    window: Step = "identity" if step == "identity" else "association"
    lang = language_of(request)
    typed_birth, birth_date = typed_birth_date(form)
    shown = {
        "first_name": str(form.get("first_name", "")),
        "last_name": str(form.get("last_name", "")),
        "birth_date": birth_date or "",
        "sex": str(form.get("sex", "")),
        "nam": str(form.get("nam", "")),
        "confirmed": "on" if form.get("confirmed") == "on" else "",
    }
    # Who is validated comes from the appointment, never from the form: the clerk only confirms
    # (and may correct) the identity fields shown.
    payload: dict[str, Any] = {
        "account_id": entry["account_id"],
        "first_name": shown["first_name"],
        "last_name": shown["last_name"],
        "birth_date": birth_date,
        "confirmed": shown["confirmed"] == "on",
    }
    if window == "identity":
        payload |= {"sex": shown["sex"] or None, "nam": shown["nam"] or None}
    else:
        payload["person_id"] = entry["person_id"]
    # The names with the gateway's own checks, so that the window says all its problems at once.
    errors = empty_ones(shown, ("first_name", "last_name"), lang, "other")
    if not any(typed_birth.values()):
        errors["birth_date"] = TEXTS[lang]["birth_date_missing"]
    elif birth_date is None:
        errors["birth_date"] = TEXTS[lang]["birth_date_invalid"]
    if window == "identity" and shown["sex"] not in SEXES:
        errors["sex"] = TEXTS[lang]["sex_missing"]
    if shown["confirmed"] != "on":
        # The button is never disabled (GOV.UK): an unticked box is said so next to it, in the window's terms.
        unticked = f"confirm_missing_{_identified(entry)}" if window == "identity" else "confirm_missing_association"
        errors["confirmed"] = TEXTS[lang][unticked]
    validated: Validated | None = None
    if not errors:
        try:
            answer = await Verification.of(request, staff).validate(_establishment(staff), window, payload)
            validated = Validated.of(window, answer)
        except UpstreamRefusal as refusal:
            if refusal.status >= 500:
                raise
            errors = refusal.by_field(lang, "other")
    if errors or validated is None:
        # What was typed stays, even a date that is not one.
        known = _known_fields(errors, window)
        return await _window_page(request, staff, entry, window, day, shown, known, status=422, born=typed_birth)
    # The Suivi list learns of the validation by event a moment later: the next step follows from
    # what was just confirmed, not from the list, and the next page draws it from verification's answer.
    if window == "identity" and icon_legend.booked_for_someone_else(entry) and entry["card_icon"] != "green":
        response = RedirectResponse(_window(appointment_id, "association", day), status_code=SEE_OTHER)
    else:
        response = RedirectResponse(f"/admin?day={day}", status_code=SEE_OTHER)
    flash = _flash(request)
    earlier = flash.read(request, staff)
    kept = earlier.validated if earlier is not None else ()
    flash.write(response, staff, Flash(window, str(appointment_id), (*kept, validated)))
    return response


WINDOW_FIELDS: dict[str, tuple[str, ...]] = {
    "identity": ("first_name", "last_name", "birth_date", "sex", "nam", "confirmed"),
    "association": ("first_name", "last_name", "birth_date", "confirmed"),
}


def _known_fields(errors: dict[str, str], window: Step) -> dict[str, str]:
    """Each refusal next to a field of the window; one about a field the window has not (account_id, person_id,
    the order of the steps) is about the whole form."""
    kept: dict[str, str] = {}
    for field, message in errors.items():
        key = field if field in WINDOW_FIELDS[window] else "form"
        kept[key] = f"{kept[key]} {message}" if key in kept and message not in kept[key] else message
    return kept
