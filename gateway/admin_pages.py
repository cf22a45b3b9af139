"""The clinic console: staff sign-in, the day's list (Suivi) with attendance, and schedules.

Staff sessions use their own cookies, so a citizen session in the same browser never mixes in.
"""

import asyncio
import uuid
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.auth import Principal
from gateway.proxy import Proxy
from gateway.session_cookies import SessionCookies
from gateway.web import icon_legend
from gateway.web.dates import when
from gateway.web.pages import field_errors, render
from gateway.web.texts import language_of
from shared.errors import DomainError
from shared.request_models import Day

router = APIRouter(prefix="/admin", include_in_schema=False)
Text = Annotated[str, Form()]
SEE_OTHER = 303
MONTREAL = ZoneInfo("America/Montreal")


def _proxy(request: Request) -> Proxy:
    return request.app.state.proxy


def _cookies(request: Request) -> SessionCookies:
    return request.app.state.cookies


def staff_of(request: Request) -> Principal | None:
    token = request.cookies.get(_cookies(request).staff_access)
    if not token:
        return None
    try:
        principal = request.app.state.verifier.from_token(token)
    except DomainError:
        return None
    return principal if principal.audience == "staff" else None


def to_login() -> RedirectResponse:
    return RedirectResponse("/admin/login", status_code=SEE_OTHER)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    return render(request, "admin/login.html", errors={}, email="", staff=None)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, email: Text = "", password: Text = "") -> Response:
    answer = await _proxy(request).call_json(
        "accounts",
        "POST",
        "/staff/sessions",
        {"email": email, "password": password},
        client_ip=request.client.host if request.client else "",
    )
    if answer.status != 200:
        errors = field_errors(answer.json().get("errors", []), language_of(request))
        return render(request, "admin/login.html", status=answer.status, errors=errors, email=email, staff=None)
    response = RedirectResponse("/admin", status_code=SEE_OTHER)
    # The refresh cookie lasts as long as the session on the server: 12 h from sign-in (ACCOUNTS_STAFF_SESSION_HOURS).
    _cookies(request).set_staff_session(response, answer.json())
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    refresh = request.cookies.get(_cookies(request).staff_refresh)
    if refresh:
        await _proxy(request).call_json("accounts", "POST", "/sessions/logout", {"refresh_token": refresh})
    response = RedirectResponse("/admin/login", status_code=SEE_OTHER)
    _cookies(request).clear_staff_session(response)
    return response


@router.get("", response_class=HTMLResponse)
async def suivi(request: Request, day: Day | None = None, validated: uuid.UUID | None = None) -> Response:
    staff = staff_of(request)
    if staff is None:
        return to_login()
    day = day or datetime.now(MONTREAL).date()
    entries = await _day(request, staff, day)
    # Read-your-writes: the list learns of a validation by event; after one, wait (briefly) for it.
    for _ in range(20):
        just_done = next((e for e in entries if validated and e["id"] == str(validated)), None)
        if just_done is None or (just_done["profile_icon"], just_done["card_icon"]) == ("green", "green"):
            break
        await asyncio.sleep(0.1)
        entries = await _day(request, staff, day)
    lang = language_of(request)
    for entry in entries:
        entry["time"] = when(entry["starts_at"], lang).split(" · ")[-1]
    return render(request, "admin/suivi.html", staff=staff, day=day, entries=entries)


@router.get("/legend", response_class=HTMLResponse)
async def legend(request: Request, day: Day | None = None) -> Response:
    """The guide's summary of the Suivi icons: each state, what it means, what to do."""
    staff = staff_of(request)
    if staff is None:
        return to_login()
    return render(request, "admin/legend.html", staff=staff, day=day, page=icon_legend.PAGE, states=icon_legend.STATES)


@router.post("/appointments/{appointment_id}/{attendance}")
async def record_attendance(request: Request, appointment_id: uuid.UUID, attendance: str, day: Text = "") -> Response:
    staff = staff_of(request)
    if staff is None:
        return to_login()
    answer = await _proxy(request).call_json(
        "appointments",
        "POST",
        f"/admin/establishments/{staff.establishment_id}/appointments/{appointment_id}/{attendance}",
        {},
        identity=staff.identity_headers(),
    )
    day = _console_day(day)
    if attendance == "arrived" and answer.status == 200:
        # Marking "Présent" starts the sequence: identity, then association, where still red.
        entry = await _entry(request, staff, appointment_id)
        if entry is not None:
            return RedirectResponse(_next_step(entry, day), status_code=SEE_OTHER)
    return RedirectResponse(f"/admin?day={day}", status_code=SEE_OTHER)


async def _schedules_page(request: Request, staff: Principal, status: int = 200, **extra: Any) -> HTMLResponse:
    base = f"/admin/establishments/{staff.establishment_id}"
    identity = staff.identity_headers()
    services = (await _proxy(request).request("appointments", "GET", f"{base}/services", identity=identity)).json()
    schedules = (await _proxy(request).request("appointments", "GET", f"{base}/schedules", identity=identity)).json()
    extra.setdefault("errors", {})
    return render(
        request, "admin/schedules.html", status=status, staff=staff, services=services, schedules=schedules, **extra
    )


@router.get("/schedules", response_class=HTMLResponse)
async def schedules_page(request: Request, created: int = -1) -> Response:
    staff = staff_of(request)
    if staff is None:
        return to_login()
    return await _schedules_page(request, staff, created=created)


@router.post("/schedules", response_class=HTMLResponse)
async def create_schedule(request: Request) -> Response:
    staff = staff_of(request)
    if staff is None:
        return to_login()
    form = await request.form()
    closed = [d.strip() for d in str(form.get("closed_dates", "")).split(",") if d.strip()]
    payload = {
        "service_id": form.get("service_id"),
        "weekdays": form.getlist("weekdays"),
        "start_time": form.get("start_time"),
        "end_time": form.get("end_time"),
        "slot_minutes": form.get("slot_minutes"),
        "capacity": form.get("capacity"),
        "valid_from": form.get("valid_from"),
        "valid_to": form.get("valid_to"),
        "exceptions": [{"date": d, "hours": []} for d in closed],
    }
    answer = await _proxy(request).call_json(
        "appointments",
        "POST",
        f"/admin/establishments/{staff.establishment_id}/schedules",
        payload,
        identity=staff.identity_headers(),
    )
    if answer.status not in (200, 201):
        errors = field_errors(answer.json().get("errors", []), language_of(request))
        return await _schedules_page(request, staff, answer.status, errors=errors, created=-1)
    return RedirectResponse(f"/admin/schedules?created={answer.json()['slots_created']}", status_code=SEE_OTHER)


async def _day(request: Request, staff: Principal, day: date) -> list[dict[str, Any]]:
    answer = await _proxy(request).request(
        "appointments",
        "GET",
        f"/admin/establishments/{staff.establishment_id}/appointments",
        query=f"day={day.isoformat()}",
        identity=staff.identity_headers(),
    )
    return answer.json() if answer.status == 200 else []


async def _entry(request: Request, staff: Principal, appointment_id: uuid.UUID) -> dict[str, Any] | None:
    """One appointment of the staff member's own establishment (a read the audit log records)."""
    answer = await _proxy(request).request(
        "appointments",
        "GET",
        f"/admin/establishments/{staff.establishment_id}/appointments/{appointment_id}",
        identity=staff.identity_headers(),
    )
    return answer.json() if answer.status == 200 else None


def _console_day(value: str) -> str:
    """The list's day as an ISO date, today when absent or not a date: it is put back in redirect URLs, where
    anything else (a CR/LF, say) would break the Location header."""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return datetime.now(MONTREAL).date().isoformat()


def _next_step(entry: dict[str, Any], day: str) -> str:
    """The seed's sequence at the front desk: present, then identity, then association."""
    if entry.get("account_id") and entry.get("profile_icon") == "red":
        return f"/admin/appointments/{entry['id']}/identity?day={day}"
    if entry.get("account_id") and entry.get("card_icon") == "red":
        return f"/admin/appointments/{entry['id']}/association?day={day}"
    return f"/admin?day={day}"


@router.get("/appointments/{appointment_id}/{step}", response_class=HTMLResponse)
async def validation_page(request: Request, appointment_id: uuid.UUID, step: str, day: str = "") -> Response:
    day = _console_day(day)
    staff = staff_of(request)
    if staff is None:
        return to_login()
    entry = await _entry(request, staff, appointment_id)
    if entry is None or step not in ("identity", "association") or not entry.get("account_id"):
        return RedirectResponse(f"/admin?day={day}", status_code=SEE_OTHER)
    return render(
        request, f"admin/{step}.html", staff=staff, entry=entry, day=day, errors={}, shown=_shown(entry, step)
    )


def _shown(entry: dict[str, Any], step: str) -> dict[str, Any]:
    """What the window shows: identification is of the account holder, who may not be the patient."""
    if step == "identity" and entry.get("person_id") != entry.get("account_id"):
        first, _, last = (entry.get("holder_name") or "").partition(" ")
        return {"first_name": first, "last_name": last, "birth_date": ""}
    return {k: entry.get(k) or "" for k in ("first_name", "last_name", "birth_date")}


@router.post("/appointments/{appointment_id}/{step}/confirm", response_class=HTMLResponse)
async def validate(request: Request, appointment_id: uuid.UUID, step: str) -> Response:
    staff = staff_of(request)
    if staff is None:
        return to_login()
    form = await request.form()
    day = _console_day(str(form.get("day", "")))
    entry = await _entry(request, staff, appointment_id)
    if entry is None or step not in ("identity", "association") or not entry.get("account_id"):
        return RedirectResponse(f"/admin?day={day}", status_code=SEE_OTHER)
    # Who is validated comes from the appointment, never from the form: the clerk only confirms
    # (and may correct) the identity fields shown.
    payload: dict[str, Any] = {
        "account_id": entry["account_id"],
        "first_name": form.get("first_name", ""),
        "last_name": form.get("last_name", ""),
        "birth_date": form.get("birth_date") or None,
        "confirmed": form.get("confirmed") == "on",
    }
    if step == "identity":
        payload |= {"sex": form.get("sex") or None, "nam": form.get("nam") or None}
        path = "identity-validations"
    else:
        payload["person_id"] = entry["person_id"]
        path = "association-validations"
    answer = await _proxy(request).call_json(
        "verification",
        "POST",
        f"/admin/establishments/{staff.establishment_id}/{path}",
        payload,
        identity=staff.identity_headers(),
    )
    if answer.status != 201:
        errors = field_errors(answer.json().get("errors", []), language_of(request))
        return render(
            request, f"admin/{step}.html", status=answer.status, staff=staff, entry=entry, day=day, errors=errors
        )
    # The Suivi list learns of the validation by event a moment later: the next step follows from
    # what was just confirmed, not from the list.
    after_identity = step == "identity" and entry.get("person_id") not in (None, entry["account_id"])
    if after_identity and entry.get("card_icon") != "green":
        return RedirectResponse(f"/admin/appointments/{appointment_id}/association?day={day}", status_code=SEE_OTHER)
    return RedirectResponse(f"/admin?day={day}&validated={appointment_id}", status_code=SEE_OTHER)
