"""Staff administration in the console: the invitation link's page (no sign-in: set a name and a password, or
accept a role for an existing staff account) and the manager's staff page (members with their role and access,
disable or enable with a confirmation step, invite, pending invitations).

The invitation's token is the link's secret. As the portal's manage links do (gateway/portal.py), it comes in
the query string once, bounded, and goes on in the form's hidden field, never in another URL; the gateway logs
no request path nor query (uvicorn runs without an access log, spans are named by route template), and the
Referrer-Policy (same-origin, gateway/security_headers.py) keeps the link from any other site.
"""

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.auth import Principal
from gateway.console_render import render_console
from gateway.page_sessions import StaffPage
from gateway.upstreams import Accounts, Appointments, UpstreamRefusal
from gateway.web.dates import written_when
from gateway.web.pages import render
from gateway.web.texts import TEXTS, language_of

router = APIRouter(prefix="/admin", include_in_schema=False)
Text = Annotated[str, Form(max_length=300)]
Password = Annotated[str, Form(max_length=1000)]
Token = Annotated[str, Form(max_length=200)]
SEE_OTHER = 303
ROLES = ("clerk", "manager")
LANGUAGES = ("fr", "en")
STAFF = "/admin/staff"
DONE = ("disabled", "enabled", "role", "invited")


def role_word(role: str, lang: str) -> str:
    return TEXTS[lang].get(f"role_{role}", role)


async def establishment_name(request: Request, establishment_id: str) -> str | None:
    names = await Appointments.of(request).establishment_names({establishment_id})
    return names.get(establishment_id)


async def own_establishment_name(request: Request, staff: Principal) -> str:
    """The staff member's own establishment's name, read with their token (no walk through the public list)."""
    found = await Appointments.of(request, staff).own_establishment(str(staff.establishment_id))
    return str(found["name"])


async def refused_page(request: Request, staff: Principal, title: str, reason: str) -> HTMLResponse:
    """A page that is not this person's: a plain 403 that says why, never a form that would fail."""
    return await render_console(request, staff, "admin/refused.html", status=403, title=title, reason=reason)


# --- the invitation link ---


def _invalid(request: Request) -> HTMLResponse:
    return render(request, "admin/invitation_invalid.html", status=404, staff=None)


async def _invitation_page(
    request: Request,
    invitation: dict[str, Any],
    token: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    name: str = "",
) -> HTMLResponse:
    lang = language_of(request)
    place = await establishment_name(request, str(invitation["establishment_id"]))
    return render(
        request,
        "admin/invitation.html",
        status=status,
        staff=None,
        errors=errors or {},
        invitation=invitation,
        token=token,
        typed_name=name,
        intro=TEXTS[lang]["invitation_intro"].format(
            role=role_word(invitation["role"], lang), establishment=place or TEXTS[lang]["an_establishment"]
        ),
        expires=written_when(invitation["expires_at"], lang),
        # The same page in the other language, also after a refused POST (whose own link would lose the token).
        switch_language_url="/admin/invitation?" + urlencode({"token": token, "lang": "en" if lang == "fr" else "fr"}),
    )


@router.get("/invitation", response_class=HTMLResponse)
async def invitation(request: Request, token: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    if not token:
        return _invalid(request)
    try:
        found = await Accounts.of(request).invitation(token)
    except UpstreamRefusal as refusal:
        if refusal.status >= 500:
            raise
        return _invalid(request)
    return await _invitation_page(request, found, token)


@router.post("/invitation", response_class=HTMLResponse)
async def accept_invitation(
    request: Request,
    token: Token = "",
    name: Text = "",
    password: Password = "",
    password_confirmation: Password = "",
) -> HTMLResponse:
    accounts = Accounts.of(request)
    try:
        found = await accounts.invitation(token)
    except UpstreamRefusal as refusal:
        if refusal.status >= 500:
            raise
        return _invalid(request)
    lang = language_of(request)
    words = TEXTS[lang]
    errors: dict[str, str] = {}
    if not found["existing_account"]:
        if not name.strip():
            errors["name"] = words["invitation_name_missing"]
        if not password:
            errors["password"] = words["invitation_password_missing"]
        if not password_confirmation:
            errors["password_confirmation"] = words["invitation_password_confirm_missing"]
        elif password and password != password_confirmation:
            errors["password_confirmation"] = words["invitation_password_mismatch"]
    if errors:
        return await _invitation_page(request, found, token, 422, errors, name)
    try:
        if found["existing_account"]:
            accepted = await accounts.accept_invitation(token, None, None)
        else:
            accepted = await accounts.accept_invitation(token, name.strip(), password)
    except UpstreamRefusal as refusal:
        if refusal.status >= 500:
            raise
        if refusal.status == 404:
            return _invalid(request)
        shown = refusal.by_field(lang)
        kept = {key if key in ("name", "password") else "form": message for key, message in shown.items()}
        return await _invitation_page(request, found, token, refusal.status, kept, name)
    return render(
        request,
        "admin/invitation_done.html",
        staff=None,
        email=accepted.get("email") or found["email"],
        existing=found["existing_account"],
    )


# --- the manager's staff page ---


def _member_rows(members: list[dict[str, Any]], staff: Principal, lang: str) -> list[dict[str, Any]]:
    return [
        {
            **member,
            "you": str(member["staff_id"]) == staff.subject,
            "role_words": role_word(member["role"], lang),
        }
        for member in sorted(members, key=lambda m: (m["disabled"], str(m["name"]).casefold()))
    ]


async def _staff_page(
    request: Request,
    staff: Principal,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    lang = language_of(request)
    listed = await Accounts.of(request, staff).establishment_staff(str(staff.establishment_id))
    invitations = [
        {
            **invitation,
            "role_words": role_word(invitation["role"], lang),
            "sent": written_when(invitation["created_at"], lang),
            "expires": written_when(invitation["expires_at"], lang),
        }
        for invitation in listed.get("invitations", [])
    ]
    return await render_console(
        request,
        staff,
        "admin/staff.html",
        status=status,
        active="staff",
        members=_member_rows(listed.get("members", []), staff, lang),
        invitations=invitations,
        roles=ROLES,
        errors=errors or {},
        values=values or {"email": "", "role": "clerk", "language": lang},
        notice=notice,
    )


async def _managers_only(request: Request, staff: Principal) -> HTMLResponse | None:
    if staff.role == "manager":
        return None
    words = TEXTS[language_of(request)]
    return await refused_page(request, staff, words["forbidden_title"], words["forbidden_staff"])


async def _member(request: Request, staff: Principal, staff_id: uuid.UUID) -> dict[str, Any] | None:
    listed = await Accounts.of(request, staff).establishment_staff(str(staff.establishment_id))
    return next((m for m in listed.get("members", []) if str(m["staff_id"]) == str(staff_id)), None)


@router.get("/staff", response_class=HTMLResponse)
async def staff_page(request: Request, staff: StaffPage, done: str = "", member: str = "") -> Response:
    refused = await _managers_only(request, staff)
    if refused is not None:
        return refused
    notice = None
    if done in DONE:
        lang = language_of(request)
        found = None
        if done != "invited":
            try:
                found = await _member(request, staff, uuid.UUID(member))
            except ValueError:
                found = None
        if done == "invited":
            notice = TEXTS[lang]["staff_done_invited"]
        elif found is not None:
            notice = TEXTS[lang][f"staff_done_{done}"].format(name=found["name"], role=role_word(found["role"], lang))
    return await _staff_page(request, staff, notice=notice)


@router.post("/staff/invitations", response_class=HTMLResponse)
async def invite(
    request: Request, staff: StaffPage, email: Text = "", role: Text = "", language: Text = ""
) -> Response:
    refused = await _managers_only(request, staff)
    if refused is not None:
        return refused
    lang = language_of(request)
    words = TEXTS[lang]
    values = {"email": email, "role": role, "language": language}
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = words["staff_email_missing"]
    if role not in ROLES:
        errors["role"] = words["staff_role_missing"]
    if language not in LANGUAGES:
        errors["language"] = words["staff_language_missing"]
    if errors:
        return await _staff_page(request, staff, 422, errors, values)
    establishment = str(staff.establishment_id)
    invitation: dict[str, Any] = {"email": email.strip(), "role": role, "language": language}
    place = await own_establishment_name(request, staff)
    if place:
        invitation["establishment_name"] = place
    try:
        await Accounts.of(request, staff).invite_staff(establishment, invitation)
    except UpstreamRefusal as refusal:
        if refusal.status >= 500:
            raise
        shown = refusal.by_field(lang)
        kept = {key if key in ("email", "role", "language") else "email": message for key, message in shown.items()}
        return await _staff_page(request, staff, refusal.status, kept, values)
    return RedirectResponse(f"{STAFF}?done=invited", status_code=SEE_OTHER)


@router.post("/staff/{staff_id}/role", response_class=HTMLResponse)
async def change_role(request: Request, staff: StaffPage, staff_id: uuid.UUID, role: Text = "") -> Response:
    refused = await _managers_only(request, staff)
    if refused is not None:
        return refused
    lang = language_of(request)
    if role not in ROLES:
        return await _staff_page(request, staff, 422, {"form": TEXTS[lang]["staff_role_missing"]})
    try:
        await Accounts.of(request, staff).change_staff_role(str(staff.establishment_id), str(staff_id), role)
    except UpstreamRefusal as refusal:
        if refusal.status >= 500:
            raise
        return await _staff_page(request, staff, refusal.status, {"form": _first(refusal, lang)})
    return RedirectResponse(f"{STAFF}?done=role&member={staff_id}", status_code=SEE_OTHER)


def _first(refusal: UpstreamRefusal, lang: str) -> str:
    return next(iter(refusal.by_field(lang).values()), "")


async def _access_confirmation(
    request: Request, staff: Principal, staff_id: uuid.UUID, action: str, status: int = 200, error: str = ""
) -> Response:
    member = await _member(request, staff, staff_id)
    if member is None or action not in ("disable", "enable"):
        return RedirectResponse(STAFF, status_code=SEE_OTHER)
    lang = language_of(request)
    place = await own_establishment_name(request, staff)
    return await render_console(
        request,
        staff,
        "admin/staff_confirm.html",
        status=status,
        active="staff",
        member=member,
        action=action,
        place=place or TEXTS[lang]["an_establishment"],
        role=role_word(member["role"], lang),
        errors={"form": error} if error else {},
    )


@router.get("/staff/{staff_id}/{action}", response_class=HTMLResponse)
async def confirm_access(request: Request, staff: StaffPage, staff_id: uuid.UUID, action: str) -> Response:
    refused = await _managers_only(request, staff)
    if refused is not None:
        return refused
    return await _access_confirmation(request, staff, staff_id, action)


@router.post("/staff/{staff_id}/{action}", response_class=HTMLResponse)
async def set_access(request: Request, staff: StaffPage, staff_id: uuid.UUID, action: str) -> Response:
    refused = await _managers_only(request, staff)
    if refused is not None:
        return refused
    if action not in ("disable", "enable"):
        return RedirectResponse(STAFF, status_code=SEE_OTHER)
    try:
        await Accounts.of(request, staff).set_staff_access(str(staff.establishment_id), str(staff_id), action)
    except UpstreamRefusal as refusal:
        if refusal.status >= 500:
            raise
        error = _first(refusal, language_of(request))
        return await _access_confirmation(request, staff, staff_id, action, refusal.status, error)
    done = "disabled" if action == "disable" else "enabled"
    return RedirectResponse(f"{STAFF}?done={done}&member={staff_id}", status_code=SEE_OTHER)
