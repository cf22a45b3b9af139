"""Association requests as pages: the citizen's (ask, follow) and the clinic's (accept or refuse)."""

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway import admin_pages
from gateway.association_requests import filed_association_request
from gateway.auth import Principal
from gateway.console_render import render_console
from gateway.page_sessions import CitizenPage, StaffPage
from gateway.upstreams import Accounts, Appointments, UpstreamRefusal, Verification
from gateway.web.account_dates import written_birth_date
from gateway.web.dates import when
from gateway.web.pages import render
from gateway.web.request_texts import REQUEST_TEXTS
from gateway.web.texts import language_of
from shared.errors import ApiError

citizen_router = APIRouter(prefix="/account/association-requests", include_in_schema=False)
staff_router = APIRouter(prefix="/admin/association-requests", include_in_schema=False)
SEE_OTHER = 303


def _error(request: Request, error: ApiError) -> dict[str, str]:
    return {error.field or "form": error.fr if language_of(request) == "fr" else error.en}


async def _citizen_page(request: Request, principal: Principal, status: int = 200, **extra: Any) -> HTMLResponse:
    family, mine = await asyncio.gather(
        Accounts.of(request, principal).dependants(),
        Verification.of(request, principal).my_association_requests(),
    )
    latest: dict[str, Any] = {}
    for filed in mine:  # newest first: keep each person's latest request
        latest.setdefault(filed["person_id"], filed)
    lang = language_of(request)
    for person in family:
        person["born"] = written_birth_date(person.get("birth_date"), lang)
    extra.setdefault("errors", {})
    return render(
        request,
        "account/association_requests.html",
        status=status,
        rt=REQUEST_TEXTS[lang],
        family=family,
        latest=latest,
        active="account",
        **extra,
    )


@citizen_router.get("", response_class=HTMLResponse)
async def citizen_requests(request: Request, principal: CitizenPage, filed: int = 0) -> Response:
    notice = REQUEST_TEXTS[language_of(request)]["filed"] if filed else None
    return await _citizen_page(request, principal, notice=notice)


@citizen_router.post("", response_class=HTMLResponse)
async def file_request(request: Request, principal: CitizenPage, person_id: Annotated[str, Form()] = "") -> Response:
    try:
        person = uuid.UUID(person_id)
    except ValueError:
        return RedirectResponse("/account/association-requests", status_code=SEE_OTHER)
    try:
        await filed_association_request(
            Accounts.of(request, principal),
            Appointments.of(request, principal),
            Verification.of(request, principal),
            person,
        )
    except ApiError as refused:
        return await _citizen_page(request, principal, refused.status, errors=_error(request, refused))
    except UpstreamRefusal as refused:
        return await _citizen_page(request, principal, refused.status, errors=refused.by_field(language_of(request)))
    return RedirectResponse("/account/association-requests?filed=1", status_code=SEE_OTHER)


async def _pending_with_patients(request: Request, staff: Principal) -> list[dict[str, Any]]:
    """Each pending request with its appointment's booking snapshot (the console's only patient data)."""
    establishment = str(staff.establishment_id)
    pending = await Verification.of(request, staff).pending_association_requests(establishment)
    appointments = Appointments.of(request, staff)

    async def snapshot(appointment_id: str) -> dict[str, Any] | None:
        try:
            return dict(await appointments.front_desk_entry(establishment, appointment_id))
        except UpstreamRefusal as refusal:  # cancelled or moved elsewhere since: the request stays decidable
            if refusal.status >= 500:
                raise
            return None

    entries = await asyncio.gather(*(snapshot(r["appointment_id"]) for r in pending))
    lang = language_of(request)
    shown = []
    for filed, appointment in zip(pending, entries, strict=True):
        if appointment is not None:
            appointment["when"] = when(appointment["starts_at"], lang)
        born = admin_pages.date_parts((appointment or {}).get("birth_date") or "")
        shown.append({**filed, "appointment": appointment, "born": born})
    return shown


async def _staff_page(request: Request, staff: Principal, status: int = 200, **extra: Any) -> HTMLResponse:
    extra.setdefault("errors", {})
    extra.setdefault("failed", None)
    extra.setdefault("born", None)
    requests = await _pending_with_patients(request, staff)
    opened = extra.pop("opened", None)
    if opened not in [r["id"] for r in requests]:
        opened = requests[0]["id"] if requests else None
    return await render_console(
        request,
        staff,
        "admin/association_requests.html",
        status=status,
        active="requests",
        rt=REQUEST_TEXTS[language_of(request)],
        requests=requests,
        opened=opened,
        **extra,
    )


@staff_router.get("", response_class=HTMLResponse)
async def staff_requests(request: Request, staff: StaffPage, decided: int = 0, open: str = "") -> Response:
    notice = REQUEST_TEXTS[language_of(request)]["decided"] if decided else None
    return await _staff_page(request, staff, notice=notice, opened=open)


@staff_router.post("/{request_id}/{decision}", response_class=HTMLResponse)
async def decide(request: Request, staff: StaffPage, request_id: uuid.UUID, decision: str) -> Response:
    if decision not in ("accept", "refuse"):
        return RedirectResponse("/admin/association-requests", status_code=SEE_OTHER)
    form = await request.form()
    born = None
    if decision == "accept":
        born, birth_date = admin_pages.typed_birth_date(form)
        payload: dict[str, Any] = {
            "first_name": form.get("first_name", ""),
            "last_name": form.get("last_name", ""),
            "birth_date": birth_date,
            "confirmed": form.get("confirmed") == "on",
        }
    else:
        payload = {"reason": form.get("reason", "")}
    try:
        await Verification.of(request, staff).decide_association_request(
            str(staff.establishment_id), str(request_id), decision, payload
        )
    except UpstreamRefusal as refusal:
        if refusal.status >= 500:
            raise
        errors = refusal.by_field(language_of(request))
        return await _staff_page(
            request, staff, refusal.status, errors=errors, failed=str(request_id), opened=str(request_id), born=born
        )
    return RedirectResponse("/admin/association-requests?decided=1", status_code=SEE_OTHER)
