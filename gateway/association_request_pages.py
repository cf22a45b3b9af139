"""Association requests as pages: the citizen's (ask, follow) and the clinic's (accept or refuse)."""

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway import account_pages, admin_pages
from gateway.association_requests import file_association_request
from gateway.auth import Principal
from gateway.proxy import Proxy
from gateway.web.dates import when
from gateway.web.pages import field_errors, render
from gateway.web.request_texts import REQUEST_TEXTS
from gateway.web.texts import language_of
from shared.errors import DomainError

citizen_router = APIRouter(prefix="/account/association-requests", include_in_schema=False)
staff_router = APIRouter(prefix="/admin/association-requests", include_in_schema=False)
SEE_OTHER = 303


def _proxy(request: Request) -> Proxy:
    return request.app.state.proxy


def _error(request: Request, error: DomainError) -> dict[str, str]:
    return {error.field or "form": error.fr if language_of(request) == "fr" else error.en}


async def _citizen_page(request: Request, principal: Principal, status: int = 200, **extra: Any) -> HTMLResponse:
    identity = principal.identity_headers()
    family, mine = await asyncio.gather(
        _proxy(request).request("accounts", "GET", "/me/dependants", identity=identity),
        _proxy(request).request("verification", "GET", "/my/association-requests", identity=identity),
    )
    requests = mine.json()["requests"] if mine.status == 200 else []
    latest = {}
    for filed in requests:  # newest first: keep each person's latest request
        latest.setdefault(filed["person_id"], filed)
    extra.setdefault("errors", {})
    return render(
        request,
        "account/association_requests.html",
        status=status,
        rt=REQUEST_TEXTS[language_of(request)],
        family=family.json() if family.status == 200 else [],
        latest=latest,
        **extra,
    )


@citizen_router.get("", response_class=HTMLResponse)
async def citizen_requests(request: Request, filed: int = 0) -> Response:
    principal, tokens = await account_pages.citizen_session(request)
    if principal is None:
        return account_pages.login_redirect()
    return account_pages.with_tokens(await _citizen_page(request, principal, filed=bool(filed)), tokens)


@citizen_router.post("", response_class=HTMLResponse)
async def file_request(request: Request, person_id: Annotated[str, Form()] = "") -> Response:
    principal, tokens = await account_pages.citizen_session(request)
    if principal is None:
        return account_pages.login_redirect()
    try:
        answer = await file_association_request(_proxy(request), principal, uuid.UUID(person_id))
    except ValueError:
        return RedirectResponse("/account/association-requests", status_code=SEE_OTHER)
    except DomainError as refused:
        page = await _citizen_page(request, principal, refused.status, errors=_error(request, refused))
        return account_pages.with_tokens(page, tokens)
    if answer.status not in (200, 201):
        errors = field_errors(answer.json().get("errors", []), language_of(request))
        return account_pages.with_tokens(await _citizen_page(request, principal, answer.status, errors=errors), tokens)
    return account_pages.with_tokens(
        RedirectResponse("/account/association-requests?filed=1", status_code=SEE_OTHER), tokens
    )


async def _pending_with_patients(request: Request, staff: Principal) -> list[dict[str, Any]]:
    """Each pending request with its appointment's booking snapshot (the console's only patient data)."""
    identity = staff.identity_headers()
    listed = await _proxy(request).request(
        "verification", "GET", f"/admin/establishments/{staff.establishment_id}/association-requests", identity=identity
    )
    pending = listed.json()["requests"] if listed.status == 200 else []
    entries = await asyncio.gather(
        *(
            _proxy(request).request(
                "appointments",
                "GET",
                f"/admin/establishments/{staff.establishment_id}/appointments/{r['appointment_id']}",
                identity=identity,
            )
            for r in pending
        )
    )
    lang = language_of(request)
    shown = []
    for filed, entry in zip(pending, entries, strict=True):
        appointment = entry.json() if entry.status == 200 else None
        if appointment is not None:
            appointment["when"] = when(appointment["starts_at"], lang)
        shown.append({**filed, "appointment": appointment})
    return shown


async def _staff_page(request: Request, staff: Principal, status: int = 200, **extra: Any) -> HTMLResponse:
    extra.setdefault("errors", {})
    extra.setdefault("failed", None)
    return render(
        request,
        "admin/association_requests.html",
        status=status,
        staff=staff,
        rt=REQUEST_TEXTS[language_of(request)],
        requests=await _pending_with_patients(request, staff),
        **extra,
    )


@staff_router.get("", response_class=HTMLResponse)
async def staff_requests(request: Request, decided: int = 0) -> Response:
    staff = admin_pages.staff_of(request)
    if staff is None:
        return admin_pages.to_login()
    return await _staff_page(request, staff, decided=bool(decided))


@staff_router.post("/{request_id}/{decision}", response_class=HTMLResponse)
async def decide(request: Request, request_id: uuid.UUID, decision: str) -> Response:
    staff = admin_pages.staff_of(request)
    if staff is None:
        return admin_pages.to_login()
    if decision not in ("accept", "refuse"):
        return RedirectResponse("/admin/association-requests", status_code=SEE_OTHER)
    form = await request.form()
    if decision == "accept":
        payload: dict[str, Any] = {
            "first_name": form.get("first_name", ""),
            "last_name": form.get("last_name", ""),
            "birth_date": form.get("birth_date") or None,
            "confirmed": form.get("confirmed") == "on",
        }
    else:
        payload = {"reason": form.get("reason", "")}
    answer = await _proxy(request).call_json(
        "verification",
        "POST",
        f"/admin/establishments/{staff.establishment_id}/association-requests/{request_id}/{decision}",
        payload,
        identity=staff.identity_headers(),
    )
    if answer.status != 200:
        errors = field_errors(answer.json().get("errors", []), language_of(request))
        return await _staff_page(request, staff, answer.status, errors=errors, failed=str(request_id))
    return RedirectResponse("/admin/association-requests?decided=1", status_code=SEE_OTHER)
