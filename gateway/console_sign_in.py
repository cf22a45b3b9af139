"""Staff sign-in to the console: the password, then the second factor (a code from the phone's app, or a
recovery code), or, the first time, its enrolment (a QR code, then the recovery codes shown once); then the
establishment, when the person works at several. Operators land on their own pages.

Between the password and the code, accounts' challenge travels in a cookie, never in a URL (where a browser's
history, a screenshot or a Referer would keep it): HttpOnly, SameSite=Strict, Secure unless the gateway runs on
plain HTTP for development, __Host- prefixed like the session cookies, and no longer than accounts keeps the
challenge alive (at most 15 minutes). The enrolment's secret travels with it, so the QR code can be shown again
after a mistyped code.
"""

import base64
import binascii
import contextlib
import json
import re
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from gateway.auth import Principal
from gateway.console_render import render_console
from gateway.page_sessions import OPERATOR_HOME, ConsoleStaff, chooser_url, safe_return_path
from gateway.session_cookies import SessionCookies
from gateway.upstreams import Accounts, Appointments, UpstreamRefusal
from gateway.web.field_messages import missing
from gateway.web.pages import render
from gateway.web.texts import TEXTS, language_of

router = APIRouter(prefix="/admin", include_in_schema=False)
Text = Annotated[str, Form(max_length=300)]
SEE_OTHER = 303
LOGIN = "/admin/login"
Kind = Literal["totp", "enrol"]
MAX_COOKIE_SECONDS = 900  # whatever accounts says, a sign-in half done is not kept longer
SIX_DIGITS = re.compile(r"\d{6}")


@dataclass(frozen=True)
class FactorStep:
    kind: Kind
    challenge: str
    back_to: str
    email: str
    secret: str = ""
    otpauth_uri: str = ""


class FactorCookie:
    def __init__(self, secure: bool) -> None:
        self.secure = secure
        # __Host-, as the session cookies: only this host over HTTPS can set it, for Path=/ (a sibling subdomain
        # cannot plant a challenge of its own); it lives a few minutes, for the sign-in's second step only.
        self.name = "__Host-staff_factor" if secure else "staff_factor"

    def write(self, response: Response, step: FactorStep, seconds: int) -> None:
        value = base64.urlsafe_b64encode(json.dumps(asdict(step)).encode()).rstrip(b"=").decode("ascii")
        response.set_cookie(
            self.name,
            value,
            max_age=max(1, min(seconds, MAX_COOKIE_SECONDS)),
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )

    def read(self, request: Request, kind: Kind) -> FactorStep | None:
        value = request.cookies.get(self.name, "")
        if not value:
            return None
        try:
            body = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
            fields = {key: str(body.get(key, "")) for key in ("challenge", "back_to", "email", "secret", "otpauth_uri")}
        except (ValueError, TypeError, AttributeError, binascii.Error):
            return None
        if body.get("kind") != kind or not fields["challenge"]:
            return None
        return FactorStep(
            kind,
            fields["challenge"],
            safe_return_path(fields["back_to"], "staff"),  # checked again: the cookie is the browser's to change
            fields["email"],
            fields["secret"],
            fields["otpauth_uri"],
        )

    def clear(self, response: Response) -> None:
        # With the same flags: a browser ignores a Secure cookie's deletion that lacks them.
        response.delete_cookie(self.name, path="/", secure=self.secure, httponly=True, samesite="strict")


def first_message(refusal: UpstreamRefusal, lang: str) -> str:
    return next(iter(refusal.by_field(lang).values()), "")


def _cookies(request: Request) -> SessionCookies:
    cookies: SessionCookies = request.app.state.cookies
    return cookies


def _factor(request: Request) -> FactorCookie:
    return FactorCookie(_cookies(request).secure)


def destination(tokens: dict[str, Any], back_to: str) -> str:
    """Where a new staff session goes: the page asked for at its establishment, else the chooser when the
    person works at several; an operator with no establishment to their name goes to the operators' pages."""
    if tokens.get("establishment_id"):
        return back_to
    if tokens.get("roles"):
        return chooser_url(back_to)
    if tokens.get("operator"):
        return back_to if back_to.startswith(OPERATOR_HOME) else OPERATOR_HOME
    return back_to


# --- the password ---


def _login_page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("errors", {})
    context.setdefault("email", "")
    context.setdefault("next", "/admin")
    return render(request, "admin/login.html", status=status, staff=None, **context)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str = "") -> HTMLResponse:
    return _login_page(request, next=safe_return_path(next, "staff"))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, email: Text = "", password: Text = "", next: Text = "") -> Response:
    back_to = safe_return_path(next, "staff")
    try:
        step = await Accounts.of(request).staff_log_in(email, password)
    except UpstreamRefusal as refused:
        if refused.status >= 500:
            raise
        lang = language_of(request)
        errors = refused.by_field(lang)
        if not email.strip():  # to the service an empty address is an invalid one: here, the field left empty
            errors["email"] = missing("email", lang)
        if "form" in errors and "password" not in errors:  # wrong credentials: the summary links to the password
            errors = {"password": errors.pop("form"), **errors}
        return _login_page(request, refused.status, errors=errors, email=email, next=back_to)
    kind: Kind = "enrol" if step.get("next") == "enrol" else "totp"
    enrolment = step.get("enrolment") or {}
    factor = FactorStep(
        kind,
        str(step["challenge"]),
        back_to,
        email.strip(),
        str(enrolment.get("secret", "")),
        str(enrolment.get("otpauth_uri", "")),
    )
    response = RedirectResponse(f"{LOGIN}/{'enrol' if kind == 'enrol' else 'code'}", status_code=SEE_OTHER)
    _factor(request).write(response, factor, int(step.get("expires_in", 300)))
    return response


def _start_again(request: Request, refusal: UpstreamRefusal | None = None) -> Response:
    """The challenge is gone (expired, too many wrong codes, never there): back to the password, saying why."""
    if refusal is None:
        response: Response = RedirectResponse(LOGIN, status_code=SEE_OTHER)
    else:
        lang = language_of(request)
        message = first_message(refusal, lang) or TEXTS[lang]["factor_expired"]
        response = _login_page(request, refusal.status, errors={"form": message})
    _factor(request).clear(response)
    return response


def _signed_in(request: Request, tokens: dict[str, Any], response: Response) -> Response:
    _cookies(request).set_staff_session(response, tokens)
    _factor(request).clear(response)
    return response


def _code_refusal(request: Request, refusal: UpstreamRefusal, field: str) -> dict[str, str] | None:
    """The refusal as the form shows it (next to the field used), None when the challenge is gone."""
    if refusal.status >= 500:
        raise refusal
    if refusal.status in (401, 404):
        return None
    errors = refusal.by_field(language_of(request))
    message = errors.pop("code", None) or errors.pop("form", None) or next(iter(errors.values()), "")
    return {field: message}


# --- the code from the app, or a recovery code ---


def _code_page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("errors", {})
    return render(request, "admin/login_code.html", status=status, staff=None, **context)


@router.get("/login/code", response_class=HTMLResponse)
async def code_form(request: Request) -> Response:
    if _factor(request).read(request, "totp") is None:
        return _start_again(request)
    return _code_page(request)


@router.post("/login/code", response_class=HTMLResponse)
async def code(request: Request, code: Text = "", recovery_code: Text = "", use: Text = "") -> Response:
    step = _factor(request).read(request, "totp")
    if step is None:
        return _start_again(request)
    lang = language_of(request)
    recovery = use == "recovery"
    field = "recovery_code" if recovery else "code"
    typed = recovery_code.strip() if recovery else re.sub(r"\s", "", code)
    if not typed:
        missing_key = "factor_recovery_missing" if recovery else "factor_code_missing"
        return _code_page(request, 422, errors={field: TEXTS[lang][missing_key]}, recovery=recovery)
    if not recovery and not SIX_DIGITS.fullmatch(typed):
        return _code_page(request, 422, errors={field: TEXTS[lang]["factor_code_invalid"]})
    try:
        tokens = await Accounts.of(request).staff_second_factor(step.challenge, typed)
    except UpstreamRefusal as refusal:
        errors = _code_refusal(request, refusal, field)
        if errors is None:
            return _start_again(request, refusal)
        return _code_page(request, refusal.status, errors=errors, recovery=recovery)
    return _signed_in(request, tokens, RedirectResponse(destination(tokens, step.back_to), status_code=SEE_OTHER))


# --- enrolment: the QR code, the first code, then the recovery codes ---


def qr_code(uri: str, label: str) -> Markup:
    """The otpauth URI as an inline SVG QR code: drawn here, so the secret never leaves for an image service."""
    qr = segno.make(uri, error="m")
    width, height = qr.symbol_size(scale=5, border=4)
    svg = qr.svg_inline(scale=5, border=4, dark="#0b0c0c", light="#ffffff", svgclass="rvs-qr")
    # A viewBox, so that a narrow phone may draw it smaller without cutting it.
    attributes = f'role="img" aria-label="{Markup.escape(label)}" focusable="false" viewBox="0 0 {width} {height}"'
    labelled = svg.replace("<svg ", f"<svg {attributes} ", 1)
    return Markup(labelled)  # noqa: S704 - segno's own markup; the label is escaped above


def grouped(secret: str) -> str:
    """The base32 secret in groups of 4, as typed into an app that cannot scan."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _enrol_page(
    request: Request, step: FactorStep, status: int = 200, errors: dict[str, str] | None = None
) -> Response:
    lang = language_of(request)
    return render(
        request,
        "admin/login_enrol.html",
        status=status,
        staff=None,
        errors=errors or {},
        qr=qr_code(step.otpauth_uri, TEXTS[lang]["enrol_qr_label"]) if step.otpauth_uri else None,
        secret=grouped(step.secret),
        otpauth_uri=step.otpauth_uri if step.otpauth_uri.startswith("otpauth://") else "",
        email=step.email,
    )


@router.get("/login/enrol", response_class=HTMLResponse)
async def enrol_form(request: Request) -> Response:
    step = _factor(request).read(request, "enrol")
    if step is None:
        return _start_again(request)
    return _enrol_page(request, step)


@router.post("/login/enrol", response_class=HTMLResponse)
async def enrol(request: Request, code: Text = "") -> Response:
    step = _factor(request).read(request, "enrol")
    if step is None:
        return _start_again(request)
    lang = language_of(request)
    typed = re.sub(r"\s", "", code)
    if not typed:
        return _enrol_page(request, step, 422, {"code": TEXTS[lang]["factor_code_missing"]})
    if not SIX_DIGITS.fullmatch(typed):
        return _enrol_page(request, step, 422, {"code": TEXTS[lang]["factor_code_invalid"]})
    try:
        tokens = await Accounts.of(request).staff_enrol(step.challenge, typed)
    except UpstreamRefusal as refusal:
        errors = _code_refusal(request, refusal, "code")
        if errors is None:
            return _start_again(request, refusal)
        return _enrol_page(request, step, refusal.status, errors)
    # Shown once, as this answer: nothing keeps them, and a reload cannot ask for them again (the challenge
    # is spent). The button is a plain link onwards.
    page = render(
        request,
        "admin/recovery_codes.html",
        staff=None,
        codes=list(tokens.get("recovery_codes") or []),
        onwards=destination(tokens, step.back_to),
    )
    return _signed_in(request, tokens, page)


# --- the establishment, for someone who works at several ---


async def _choices(request: Request, staff: Principal) -> tuple[list[dict[str, str]], str | None]:
    """(the establishments where the person holds an active role, with their names; the current one)."""
    profile = await Accounts.of(request, staff).staff_profile()
    roles = profile.get("roles") or []
    names = await Appointments.of(request).establishment_names({str(r["establishment_id"]) for r in roles})
    lang = language_of(request)
    choices = [
        {
            "id": str(role["establishment_id"]),
            "name": names.get(str(role["establishment_id"]), str(role["establishment_id"])),
            "role": TEXTS[lang].get(f"role_{role['role']}", role["role"]),
        }
        for role in roles
    ]
    choices.sort(key=lambda choice: choice["name"].casefold())
    return choices, staff.establishment_id


async def _chooser_page(
    request: Request, staff: Principal, back_to: str, status: int = 200, errors: dict[str, str] | None = None
) -> Response:
    choices, current = await _choices(request, staff)
    if not choices:
        return RedirectResponse(OPERATOR_HOME if staff.role == "operator" else "/admin", status_code=SEE_OTHER)
    return await render_console(
        request,
        staff,
        "admin/establishment_choice.html",
        status=status,
        active="establishment",
        choices=choices,
        current=current,
        next=back_to,
        errors=errors or {},
    )


@router.get("/establishment", response_class=HTMLResponse)
async def chooser(request: Request, staff: ConsoleStaff, next: str = "") -> Response:
    return await _chooser_page(request, staff, safe_return_path(next, "staff"))


@router.post("/establishment", response_class=HTMLResponse)
async def choose(request: Request, staff: ConsoleStaff, establishment_id: Text = "", next: Text = "") -> Response:
    back_to = safe_return_path(next, "staff")
    lang = language_of(request)
    if not establishment_id:
        return await _chooser_page(request, staff, back_to, 422, {"establishment_id": TEXTS[lang]["choose_missing"]})
    # This very request may have refreshed the session (page_sessions.py): the cookie's refresh token is then spent.
    refreshed = getattr(request.state, "refreshed_session", None)
    refresh = refreshed.tokens["refresh_token"] if refreshed else request.cookies.get(_cookies(request).staff_refresh)
    try:
        tokens = await Accounts.of(request, staff).choose_establishment(establishment_id, str(refresh or ""))
    except UpstreamRefusal as refusal:
        if refusal.status >= 500 or refusal.status == 401:
            raise
        errors = {"establishment_id": first_message(refusal, lang) or TEXTS[lang]["choose_missing"]}
        return await _chooser_page(request, staff, back_to, 422, errors)
    # The new pair replaces the refreshed one, which the session middleware would otherwise write after it.
    request.state.refreshed_session = None
    response = RedirectResponse(back_to, status_code=SEE_OTHER)
    _cookies(request).set_staff_session(response, tokens)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    refresh = request.cookies.get(_cookies(request).staff_refresh)
    if refresh:
        # An expired or unknown session is refused: signing out still clears this browser's cookies.
        with contextlib.suppress(UpstreamRefusal):
            await Accounts.of(request).log_out(refresh)
    response = RedirectResponse(LOGIN, status_code=SEE_OTHER)
    _cookies(request).clear_staff_session(response)
    return response
