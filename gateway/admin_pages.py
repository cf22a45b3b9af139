"""The clinic console: staff sign-in, the day's list (Suivi) with attendance, and schedules.

Staff sessions use their own cookies, so a citizen session in the same browser never mixes in.
"""

import uuid
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.auth import Principal
from gateway.proxy import Proxy
from gateway.web.dates import when
from gateway.web.pages import field_errors, render
from gateway.web.texts import language_of
from shared.errors import DomainError

router = APIRouter(prefix="/admin", include_in_schema=False)
Text = Annotated[str, Form()]
SEE_OTHER = 303
MONTREAL = ZoneInfo("America/Montreal")
ACCESS, REFRESH = "staff_access_token", "staff_refresh_token"


def _proxy(request: Request) -> Proxy:
    return request.app.state.proxy


def _staff(request: Request) -> Principal | None:
    token = request.cookies.get(ACCESS)
    if not token:
        return None
    try:
        principal = request.app.state.verifier.from_token(token)
    except DomainError:
        return None
    return principal if principal.audience == "staff" else None


def _to_login() -> RedirectResponse:
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
    tokens = answer.json()
    response = RedirectResponse("/admin", status_code=SEE_OTHER)
    response.set_cookie(ACCESS, tokens["access_token"], max_age=tokens["expires_in"], httponly=True, samesite="strict")
    response.set_cookie(REFRESH, tokens["refresh_token"], max_age=12 * 3600, httponly=True, samesite="strict")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    refresh = request.cookies.get(REFRESH)
    if refresh:
        await _proxy(request).call_json("accounts", "POST", "/sessions/logout", {"refresh_token": refresh})
    response = RedirectResponse("/admin/login", status_code=SEE_OTHER)
    response.delete_cookie(ACCESS)
    response.delete_cookie(REFRESH)
    return response


@router.get("", response_class=HTMLResponse)
async def suivi(request: Request, day: date | None = None) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    day = day or datetime.now(MONTREAL).date()
    answer = await _proxy(request).request(
        "appointments",
        "GET",
        f"/admin/establishments/{staff.establishment_id}/appointments",
        query=f"day={day.isoformat()}",
        identity=staff.identity_headers(),
    )
    entries: list[dict[str, Any]] = answer.json() if answer.status == 200 else []
    lang = language_of(request)
    for entry in entries:
        entry["time"] = when(entry["starts_at"], lang).split(" · ")[-1]
    return render(request, "admin/suivi.html", staff=staff, day=day, entries=entries)


@router.post("/appointments/{appointment_id}/{attendance}")
async def record_attendance(request: Request, appointment_id: uuid.UUID, attendance: str, day: Text = "") -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    await _proxy(request).call_json(
        "appointments",
        "POST",
        f"/admin/establishments/{staff.establishment_id}/appointments/{appointment_id}/{attendance}",
        {},
        identity=staff.identity_headers(),
    )
    return RedirectResponse(f"/admin?day={day}" if day else "/admin", status_code=SEE_OTHER)


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
    staff = _staff(request)
    if staff is None:
        return _to_login()
    return await _schedules_page(request, staff, created=created)


@router.post("/schedules", response_class=HTMLResponse)
async def create_schedule(request: Request) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
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
