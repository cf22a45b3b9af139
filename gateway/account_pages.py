"""Citizen account pages: register, confirm with a code, sign in, reset a forgotten password, family, personal
information, appointments (confirm, reschedule, cancel), history, delete.

Who is signed in comes from gateway/page_sessions.py (CitizenPage refreshes an expired session and sends a
visitor without one to sign-in, which brings them back); the services are called through gateway/upstreams/.
A refusal the visitor can correct is shown in its form; any other one becomes a full page (gateway/error_pages.py).
"""

import asyncio
import contextlib
import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote, unquote

from babel.dates import format_date
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.auth import STAFF_CANNOT_REGISTER, Principal
from gateway.page_sessions import CitizenPage, OptionalCitizen, OptionalStaff, safe_return_path
from gateway.upstreams import Accounts, Appointments, Challenge, UpstreamRefusal, Verification
from gateway.web.account_dates import date_parts, written_birth_date
from gateway.web.clinic_rules import refused_as_too_late, visit_rules
from gateway.web.dates import DAYS_SHOWN, LOCALES, TZ, time_label, when
from gateway.web.field_messages import contact_required, missing
from gateway.web.history_texts import HISTORY_TEXTS
from gateway.web.pages import render
from gateway.web.texts import TEXTS, language_of
from shared.request_models import Day

router = APIRouter(prefix="/account", include_in_schema=False)
Text = Annotated[str, Form()]
SEE_OTHER = 303
# After a code is accepted, accounts applies the change when it hears of it, a few milliseconds later: the
# page waits that long (at most) so that the dashboard it shows next already holds the new value.
CHANGE_APPLIED_WITHIN = 3.0
# What the dashboard's notice says after each action (`?done=`), keys of account_texts.
DONE_NOTICES = {
    "saved": "saved",
    "email": "done_email",
    "phone": "done_phone",
    "password": "done_password",
    "nam": "done_nam",
    "removed": "done_removed",
}
SENSITIVE_FIELDS = {"email": "email", "phone": "phone", "nam": "nam"}
# After a code that activates an account or confirms a new password, the sign-in page is shown with the
# identifier already typed. It travels in a short cookie scoped to that page rather than in its URL, which
# browsers keep in their history and servers in their logs.
LOGIN_HINT_COOKIE = "rvs_login_hint"
LOGIN_HINT_PATH = "/account/login"
LOGIN_HINT_SECONDS = 600
SIGN_IN_AFTER = {"activate_account", "reset_password"}
# Refusals after which no code passes the challenge (its tries are spent, or the bound across codes is reached,
# or a new code cannot be sent yet): the code page drops the code's field and says when and how to go on.
CODE_LOCKED = {"too_many_attempts", "too_many_wrong_codes", "resend_too_soon"}
# How the notice names a person just added to the family, by the sex they were given (French agrees).
ADDED_NOTICES = {"F": "done_added_f", "M": "done_added_m"}


def _optional(value: str) -> str | None:
    return value.strip() or None


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=SEE_OTHER)


def _text(request: Request, key: str) -> str:
    return TEXTS[language_of(request)][key]


def _code_page(
    request: Request,
    challenge: Challenge | dict[str, Any],
    purpose: str,
    next_url: str,
    identifier: str = "",
    **extra: Any,
) -> HTMLResponse:
    """`identifier`: what the citizen signs in with, carried through the code form to the sign-in page that
    follows an activation or a reset (only a correct code shows it there, in the same browser)."""
    extra.setdefault("errors", {})
    return render(
        request,
        "account/code.html",
        challenge=challenge,
        purpose=purpose,
        next_url=next_url,
        identifier=identifier if purpose in SIGN_IN_AFTER else "",
        **extra,
    )


# --- registration and codes ---


@router.get("/register", response_class=HTMLResponse)
async def register_form(request: Request) -> HTMLResponse:
    return render(request, "account/register.html", values={}, errors={}, active="register")


@router.post("/register", response_class=HTMLResponse)
async def register(
    request: Request,
    staff: OptionalStaff,
    first_name: Text = "",
    last_name: Text = "",
    birth_date_day: Text = "",
    birth_date_month: Text = "",
    birth_date_year: Text = "",
    sex: Text = "",
    nam: Text = "",
    email: Text = "",
    phone: Text = "",
    language: Text = "fr",
    password: Text = "",
) -> HTMLResponse:
    born = _date_of(birth_date_year, birth_date_month, birth_date_day)
    values = {"first_name": first_name, "last_name": last_name, "sex": sex, "nam": nam}
    values |= {"email": email, "phone": phone, "language": language}
    shown = values | {"birth_date_day": birth_date_day, "birth_date_month": birth_date_month}
    shown |= {"birth_date_year": birth_date_year}
    if staff is not None:
        # As the API's /api/registrations (gateway/routes.py, audience not_staff): a staff session in this
        # browser means a clerk, who must never open a citizen account from the console's seat.
        lang = language_of(request)
        errors = {"form": STAFF_CANNOT_REGISTER.fr if lang == "fr" else STAFF_CANNOT_REGISTER.en}
        return render(request, "account/register.html", status=403, values=shown, errors=errors, active="register")
    payload: dict[str, Any] = {k: _optional(v) for k, v in values.items()}
    payload |= {"birth_date": born, "password": password}
    try:
        challenge = await Accounts.of(request).register(payload)
    except UpstreamRefusal as refused:
        errors = _date_errors(refused.by_field(language_of(request)), "birth_date")
        if refused.status == 422:
            errors = _with_later_checks(errors, email, phone, password, language_of(request))
        return render(
            request, "account/register.html", status=refused.status, values=shown, errors=errors, active="register"
        )
    signs_in_with = (email or phone).strip()  # accounts sends the code to the e-mail when there is one
    return _code_page(request, challenge, "activate_account", "/account/login?activated=1", signs_in_with)


def _with_later_checks(errors: dict[str, str], email: str, phone: str, password: str, lang: str) -> dict[str, str]:
    """The accounts service checks the contact and the password only once every field passes: a form with
    other problems says those too, so that one submission reports them all."""
    if not email.strip() and not phone.strip():
        errors.setdefault("email", contact_required(lang))
    if not password:
        errors.setdefault("password", missing("password", lang))
    return errors


def _date_of(year: str, month: str, day: str) -> str | None:
    """The ISO date the services read, from GOV.UK's three date fields; None when all are empty."""
    if not (year.strip() or month.strip() or day.strip()):
        return None
    return f"{year.strip()}-{month.strip().zfill(2)}-{day.strip().zfill(2)}"


def _date_errors(errors: dict[str, str], field: str) -> dict[str, str]:
    # The date input's first box carries the id the error summary links to.
    # Renamed where it stands: the summary lists the refusals in the form's order.
    return {f"{field}-day" if name == field else name: message for name, message in errors.items()}


@router.post("/code", response_class=HTMLResponse)
async def submit_code(
    request: Request,
    principal: OptionalCitizen,
    challenge_id: Text = "",
    purpose: Text = "",
    code: Text = "",
    next_url: Text = "/account",
    sent_to: Text = "",
    identifier: Text = "",
) -> Response:
    challenge = {"challenge_id": challenge_id, "sent_to": sent_to}
    changed_field = SENSITIVE_FIELDS.get(purpose.removeprefix("change_")) if principal else None
    before = (await Accounts.of(request, principal).me())[changed_field] if changed_field else None  # type: ignore[literal-required]
    try:
        await Verification.of(request, principal).verify_code(challenge_id, code.strip(), purpose)
    except UpstreamRefusal as refused:
        errors = {"code" if k == "form" else k: v for k, v in refused.by_field(language_of(request)).items()}
        if _code_locked(refused):
            return _locked_code_page(request, challenge, purpose, next_url, identifier, refused)
        return _code_page(request, challenge, purpose, next_url, identifier, errors=errors, status=refused.status)
    if changed_field and principal is not None:
        await _until_changed(request, principal, changed_field, before)
    response = _see_other(safe_return_path(next_url, "citizen"))
    if purpose in SIGN_IN_AFTER and identifier.strip():
        response.set_cookie(
            LOGIN_HINT_COOKIE,
            quote(identifier.strip()),
            max_age=LOGIN_HINT_SECONDS,
            path=LOGIN_HINT_PATH,
            secure=request.app.state.cookies.secure,
            httponly=True,
            samesite="strict",
        )
    return response


def _code_locked(refused: UpstreamRefusal) -> bool:
    return any(error["code"] in CODE_LOCKED for error in refused.errors)


def _locked_code_page(
    request: Request,
    challenge: dict[str, Any],
    purpose: str,
    next_url: str,
    identifier: str,
    refused: UpstreamRefusal,
) -> HTMLResponse:
    """No code can pass this challenge: no field to type one into; the refusal (which says until when) heads the
    page as the form's error, and the button that sends a new code follows what to do (an early press answers the
    same time again: without JavaScript, the page cannot offer the button only once the time has come)."""
    reason = next(iter(refused.by_field(language_of(request)).values()))
    return _code_page(
        request, challenge, purpose, next_url, identifier, errors={"form": reason}, locked=True, status=refused.status
    )


async def _until_changed(request: Request, principal: Principal, field: str, before: Any) -> None:
    accounts = Accounts.of(request, principal)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CHANGE_APPLIED_WITHIN
    while loop.time() < deadline:
        if (await accounts.me())[field] != before:  # type: ignore[literal-required]
            return
        await asyncio.sleep(0.05)


@router.post("/code/resend", response_class=HTMLResponse)
async def resend_code(
    request: Request,
    principal: OptionalCitizen,
    challenge_id: Text = "",
    purpose: Text = "",
    next_url: Text = "/account",
    sent_to: Text = "",
    identifier: Text = "",
) -> Response:
    try:
        challenge = await Accounts.of(request, principal).resend_code(challenge_id)
    except UpstreamRefusal as refused:
        errors = refused.by_field(language_of(request))
        challenge_shown = {"challenge_id": challenge_id, "sent_to": sent_to}
        if _code_locked(refused):
            return _locked_code_page(request, challenge_shown, purpose, next_url, identifier, refused)
        return _code_page(request, challenge_shown, purpose, next_url, identifier, errors=errors, status=refused.status)
    return _code_page(request, challenge, purpose, next_url, identifier, resent=True)


# --- signing in and out, and a forgotten password ---


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, activated: int = 0, reset: int = 0, next: str = "") -> HTMLResponse:
    notice = _text(request, "activated_sign_in") if activated else _text(request, "reset_done") if reset else None
    hint = request.cookies.get(LOGIN_HINT_COOKIE, "") if notice else ""
    response = render(
        request,
        "account/login.html",
        notice=notice,
        errors={},
        identifier=unquote(hint),
        next_url=safe_return_path(next, "citizen"),
        active="login",
    )
    if hint:  # once: a later visit to the sign-in page starts empty
        secure = request.app.state.cookies.secure
        response.delete_cookie(LOGIN_HINT_COOKIE, path=LOGIN_HINT_PATH, secure=secure, httponly=True, samesite="strict")
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, identifier: Text = "", password: Text = "", next_url: Text = "") -> Response:
    back_to = safe_return_path(next_url, "citizen")
    try:
        tokens = await Accounts.of(request).log_in(identifier, password)
    except UpstreamRefusal as refused:
        errors = refused.by_field(language_of(request))
        if not identifier.strip():
            errors.setdefault("identifier", _text(request, "identifier_missing"))
        if not password:
            errors.setdefault("password", _text(request, "password_missing"))
        return render(
            request,
            "account/login.html",
            status=refused.status,
            errors=errors,
            identifier=identifier,
            next_url=back_to,
            active="login",
        )
    response = _see_other(back_to)
    request.app.state.cookies.set_citizen_session(response, tokens)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    cookies = request.app.state.cookies
    refresh = request.cookies.get(cookies.citizen_refresh)
    if refresh:
        # An expired or unknown session is refused: signing out still clears this browser's cookies.
        with contextlib.suppress(UpstreamRefusal):
            await Accounts.of(request).log_out(refresh)
    response = _see_other("/")
    cookies.clear_citizen_session(response)
    return response


@router.get("/password-reset", response_class=HTMLResponse)
async def reset_form(request: Request) -> HTMLResponse:
    return render(request, "account/reset_ask.html", identifier="", errors={}, active="login")


@router.post("/password-reset", response_class=HTMLResponse)
async def reset_identifier(request: Request, identifier: Text = "") -> HTMLResponse:
    """First step: who. Nothing is said about whether an account exists (the code step says the same either way)."""
    if not identifier.strip():
        errors = {"identifier": _text(request, "identifier_missing")}
        return render(request, "account/reset_ask.html", status=422, identifier="", errors=errors, active="login")
    return render(request, "account/reset_password.html", identifier=identifier.strip(), errors={}, active="login")


@router.post("/password-reset/new", response_class=HTMLResponse)
async def reset_password(request: Request, identifier: Text = "", new_password: Text = "") -> HTMLResponse:
    """Second step: the new password, which the code sent next confirms (the accounts service holds it until then)."""
    try:
        challenge = await Accounts.of(request).reset_password(identifier, new_password)
    except UpstreamRefusal as refused:
        # A weak password is refused on the request's own field, new_password, as this page names it too.
        errors = refused.by_field(language_of(request))
        if "identifier" in errors:
            return render(
                request,
                "account/reset_ask.html",
                status=refused.status,
                identifier=identifier,
                errors=errors,
                active="login",
            )
        return render(
            request,
            "account/reset_password.html",
            status=refused.status,
            identifier=identifier,
            errors=errors,
            active="login",
        )
    return _code_page(request, challenge, "reset_password", "/account/login?reset=1", identifier)


# --- the dashboard (what is on file, read-only), and a page for each change: personal information, a family
# member added or removed, a sensitive change confirmed by a code ---


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request, principal: CitizenPage, done: str = "", added: str = "") -> Response:
    accounts = Accounts.of(request, principal)
    profile, family = await asyncio.gather(accounts.me(), accounts.dependants())
    lang = language_of(request)
    notice = _text(request, DONE_NOTICES[done]) if done in DONE_NOTICES else None
    for person in family:
        person["born"] = written_birth_date(person.get("birth_date"), lang)  # type: ignore[typeddict-unknown-key]
        if added and person["id"] == added:
            key = ADDED_NOTICES.get(person["sex"], "done_added_neutral")
            notice = _text(request, key).format(name=f"{person['first_name']} {person['last_name']}")
    return render(
        request,
        "account/dashboard.html",
        profile=profile,
        profile_born=written_birth_date(profile.get("birth_date"), lang),
        family=family,
        notice=notice,
        active="account",
    )


@router.get("/profile", response_class=HTMLResponse)
async def profile_form(request: Request, principal: CitizenPage) -> Response:
    profile = await Accounts.of(request, principal).me()
    values = dict(profile) | date_parts("birth_date", profile.get("birth_date"))
    return render(request, "account/profile.html", values=values, errors={}, active="account")


@router.post("/profile", response_class=HTMLResponse)
async def update_profile(
    request: Request,
    principal: CitizenPage,
    first_name: Text = "",
    last_name: Text = "",
    birth_date_day: Text = "",
    birth_date_month: Text = "",
    birth_date_year: Text = "",
    address: Text = "",
    city: Text = "",
    postal_code: Text = "",
    notify: Text = "email",
) -> Response:
    born = _date_of(birth_date_year, birth_date_month, birth_date_day)
    payload = {
        "first_name": first_name,
        "last_name": last_name,
        "birth_date": born or "",  # cleared: refused with the form's other problems, as the empty field it is
        "address": _optional(address),
        "city": _optional(city),
        "postal_code": _optional(postal_code),
        "notify_email": notify in ("email", "both"),
        "notify_sms": notify in ("sms", "both"),
    }
    try:
        await Accounts.of(request, principal).update_me(payload)
    except UpstreamRefusal as refused:
        by_field = refused.by_field(language_of(request))
        if born is None and "birth_date" in by_field:
            by_field["birth_date"] = missing("birth_date", language_of(request))
        errors = _date_errors(by_field, "birth_date")
        # What was typed, not what is on file: the citizen corrects one field without retyping the others.
        typed = payload | {"birth_date_day": birth_date_day, "birth_date_month": birth_date_month}
        typed |= {"birth_date_year": birth_date_year}
        return render(
            request, "account/profile.html", status=refused.status, values=typed, errors=errors, active="account"
        )
    return _see_other("/account?done=saved")


@router.get("/family/new", response_class=HTMLResponse)
async def add_dependant_form(request: Request, principal: CitizenPage) -> Response:
    # The family's usual last name is the citizen's own: offered, and the citizen changes it if need be.
    profile = await Accounts.of(request, principal).me()
    values = {"last_name": profile["last_name"]}
    return render(request, "account/family_new.html", values=values, errors={}, active="account")


@router.post("/family/new", response_class=HTMLResponse)
async def add_dependant(
    request: Request,
    principal: CitizenPage,
    first_name: Text = "",
    last_name: Text = "",
    birth_date_day: Text = "",
    birth_date_month: Text = "",
    birth_date_year: Text = "",
    sex: Text = "",
    nam: Text = "",
) -> Response:
    born = _date_of(birth_date_year, birth_date_month, birth_date_day)
    payload = {"first_name": first_name, "last_name": last_name, "birth_date": born}
    payload |= {"sex": _optional(sex), "nam": _optional(nam)}
    try:
        added = await Accounts.of(request, principal).add_dependant(payload)
    except UpstreamRefusal as refused:
        errors = _date_errors(refused.by_field(language_of(request), "other"), "birth_date")
        typed = {"first_name": first_name, "last_name": last_name, "sex": sex, "nam": nam}
        typed |= {"birth_date_day": birth_date_day, "birth_date_month": birth_date_month}
        typed |= {"birth_date_year": birth_date_year}
        return render(
            request, "account/family_new.html", status=refused.status, values=typed, errors=errors, active="account"
        )
    # No #family anchor: the success banner is at the top of the page, where the browser lands.
    return _see_other(f"/account?added={added['id']}")


@router.get("/family/{dependant_id}/remove", response_class=HTMLResponse)
async def remove_dependant_form(request: Request, principal: CitizenPage, dependant_id: uuid.UUID) -> Response:
    family = await Accounts.of(request, principal).dependants()
    person = next((p for p in family if p["id"] == str(dependant_id)), None)
    if person is None:
        return _see_other("/account")
    born = written_birth_date(person.get("birth_date"), language_of(request))
    return render(request, "account/remove_dependant.html", person=person, born=born, active="account")


@router.post("/family/{dependant_id}/remove")
async def remove_dependant(request: Request, principal: CitizenPage, dependant_id: uuid.UUID) -> Response:
    await Accounts.of(request, principal).remove_dependant(str(dependant_id))
    return _see_other("/account?done=removed")


ChangeKind = Literal["email", "phone", "password", "nam"]


@router.get("/change/{kind}", response_class=HTMLResponse)
async def change_form(request: Request, principal: CitizenPage, kind: ChangeKind) -> HTMLResponse:
    return render(request, "account/change.html", kind=kind, new_value="", errors={}, active="account")


@router.post("/change/{kind}", response_class=HTMLResponse)
async def request_change(
    request: Request, principal: CitizenPage, kind: ChangeKind, new_value: Text = "", current_password: Text = ""
) -> Response:
    """A new e-mail, phone, password or NAM, each on its own page with a field of its type (a new password in a
    password field, never in clear); the code sent next confirms it."""
    try:
        challenge = await Accounts.of(request, principal).sensitive_change(kind, new_value, current_password)
    except UpstreamRefusal as refused:
        # A weak password is refused on the request's own field, new_value; the rest said about the change goes
        # there too, the page's one field.
        on_new_value = ("form", "kind")
        errors = {"new_value" if k in on_new_value else k: v for k, v in refused.by_field(language_of(request)).items()}
        kept = "" if kind == "password" else new_value
        return render(
            request,
            "account/change.html",
            status=refused.status,
            kind=kind,
            new_value=kept,
            errors=errors,
            active="account",
        )
    return _code_page(request, challenge, f"change_{kind}", f"/account?done={kind}")


# --- deleting the account ---


@router.get("/delete", response_class=HTMLResponse)
async def delete_form(request: Request, principal: CitizenPage) -> Response:
    return await _delete_page(request, principal)


async def _delete_page(request: Request, principal: Principal, status: int = 200, **extra: Any) -> HTMLResponse:
    listing = await Appointments.of(request, principal).mine()
    upcoming = _written_out(listing["upcoming"], language_of(request))
    extra.setdefault("errors", {})
    return render(request, "account/delete.html", status=status, upcoming=upcoming, active="account", **extra)


@router.post("/delete", response_class=HTMLResponse)
async def delete_account(request: Request, principal: CitizenPage, password: Text = "") -> Response:
    try:
        await Accounts.of(request, principal).delete_me(password)
    except UpstreamRefusal as refused:
        return await _delete_page(request, principal, refused.status, errors=refused.by_field(language_of(request)))
    response = render(request, "account/deleted.html", signed_in=False)
    request.app.state.cookies.clear_citizen_session(response)
    return response


# --- appointments: the list, confirming, moving, cancelling ---


def _written_out(appointments: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    for appointment in appointments:
        appointment["when"] = when(appointment["starts_at"], lang)
        # The clinic's instructions for the visit, and whether it is too late to change it online.
        appointment["rules"] = visit_rules(appointment, lang)
    return appointments


async def _mine(request: Request, principal: Principal, appointment_id: uuid.UUID) -> dict[str, Any] | None:
    listing = await Appointments.of(request, principal).mine()
    lang = language_of(request)
    for group in ("upcoming", "past"):
        for appointment in listing[group]:
            if appointment["id"] == str(appointment_id):
                return _written_out([appointment], lang)[0]
    return None


@router.get("/appointments", response_class=HTMLResponse)
async def my_appointments(request: Request, principal: CitizenPage, done: str = "", moved: str = "") -> Response:
    listing = await Appointments.of(request, principal).mine()
    lang = language_of(request)
    for group in ("upcoming", "past"):
        _written_out(listing[group], lang)
    notice = None
    if done in ("cancel", "confirm"):
        notice = _text(request, f"done_{done}")
    moved_to = next((a for a in listing["upcoming"] if a["id"] == moved), None)
    if moved_to is not None:
        notice = _text(request, "done_moved").format(when=moved_to["when"])
    return render(
        request, "account/appointments.html", listing=listing, notice=notice, moved=moved, active="appointments"
    )


@router.post("/appointments/{appointment_id}/confirm", response_class=HTMLResponse)
async def confirm_presence(request: Request, principal: CitizenPage, appointment_id: uuid.UUID) -> Response:
    await Appointments.of(request, principal).act_on_mine(str(appointment_id), "confirm")
    return _see_other("/account/appointments?done=confirm")


@router.get("/appointments/{appointment_id}/cancel", response_class=HTMLResponse)
async def cancel_form(request: Request, principal: CitizenPage, appointment_id: uuid.UUID) -> Response:
    appointment = await _mine(request, principal, appointment_id)
    if appointment is None or appointment["status"] != "booked":
        return _see_other("/account/appointments")
    return render(request, "account/cancel.html", appointment=appointment, errors={}, active="appointments")


@router.post("/appointments/{appointment_id}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, principal: CitizenPage, appointment_id: uuid.UUID) -> Response:
    try:
        await Appointments.of(request, principal).act_on_mine(str(appointment_id), "cancel")
    except UpstreamRefusal as refused:
        appointment = await _mine(request, principal, appointment_id)
        if appointment is None or refused.status != 409 or not refused_as_too_late(refused.errors):
            raise
        # Past the clinic's cut-off, though the page offered it (opened before): the page says whom to call.
        appointment["rules"]["too_late"] = True
        return render(
            request, "account/cancel.html", status=409, appointment=appointment, errors={}, active="appointments"
        )
    return _see_other("/account/appointments?done=cancel")


def _days(slots: list[dict[str, Any]], lang: str) -> tuple[list[dict[str, Any]], date | None]:
    """The first DAYS_SHOWN days that have a free time, each written out, and the next day to show after them."""
    days: dict[date, list[dict[str, Any]]] = {}
    for slot in slots:
        local = datetime.fromisoformat(slot["starts_at"]).astimezone(TZ)
        days.setdefault(local.date(), []).append({**slot, "time": time_label(local, lang)})
    shown = sorted(days)[:DAYS_SHOWN]
    more = shown[-1] + timedelta(days=1) if len(days) > len(shown) else None
    return [{"label": format_date(day, format="full", locale=LOCALES[lang]), "slots": days[day]} for day in shown], more


async def _reschedule_page(
    request: Request,
    principal: Principal,
    appointment_id: uuid.UUID,
    status: int = 200,
    start: Day | None = None,
    **extra: Any,
) -> Response:
    appointment = await _mine(request, principal, appointment_id)
    if appointment is None or appointment["status"] != "booked":
        return _see_other("/account/appointments")
    if extra.pop("too_late", False) or appointment["rules"]["too_late"]:
        appointment["rules"]["too_late"] = True
        return render(
            request,
            "account/reschedule.html",
            status=status,
            appointment=appointment,
            days=[],
            errors={},
            active="appointments",
        )
    date_from = datetime.combine(start, time(0), TZ).isoformat() if start else None
    appointments = Appointments.of(request, principal)
    slots = await appointments.free_slots(appointment["service"]["service_id"], date_from)
    days, more = _days([s for s in slots if s["id"] != appointment["slot_id"]], language_of(request))
    extra.setdefault("errors", {})
    return render(
        request,
        "account/reschedule.html",
        status=status,
        appointment=appointment,
        days=days,
        later=more.isoformat() if more else None,
        earliest=start is not None,
        active="appointments",
        **extra,
    )


@router.get("/appointments/{appointment_id}/reschedule", response_class=HTMLResponse)
async def reschedule_form(
    request: Request,
    principal: CitizenPage,
    appointment_id: uuid.UUID,
    start: Annotated[Day | None, Query(alias="from")] = None,
) -> Response:
    """The free times of the first days that have some; `from` pages on to later days."""
    return await _reschedule_page(request, principal, appointment_id, start=start)


@router.post("/appointments/{appointment_id}/reschedule", response_class=HTMLResponse)
async def reschedule(
    request: Request, principal: CitizenPage, appointment_id: uuid.UUID, slot_id: Text = ""
) -> Response:
    # This route once came after a catch-all "/appointments/{id}/{action}" that answered any other action with
    # a silent redirect: "Déplacer" never reached the service. Each action now has its own route.
    if not slot_id:
        errors = {"slot_id": _text(request, "choose_time_missing")}
        return await _reschedule_page(request, principal, appointment_id, 422, errors=errors)
    try:
        await Appointments.of(request, principal).act_on_mine(str(appointment_id), "reschedule", {"slot_id": slot_id})
    except UpstreamRefusal as refused:
        if refused.status == 409 and refused_as_too_late(refused.errors):
            return await _reschedule_page(request, principal, appointment_id, 409, too_late=True)
        errors = {
            "slot_id" if k in ("form", "slot_id") else k: v for k, v in refused.by_field(language_of(request)).items()
        }
        return await _reschedule_page(request, principal, appointment_id, refused.status, errors=errors)
    return _see_other(f"/account/appointments?moved={appointment_id}")


@router.get("/appointments/{appointment_id}/calendar.ics")
async def calendar_file(request: Request, principal: CitizenPage, appointment_id: uuid.UUID) -> Response:
    answer = await Appointments.of(request, principal).calendar_file_of_mine(appointment_id)
    return Response(answer.body, status_code=answer.status, headers=answer.headers)


# --- history: every appointment of the account, with those booked without an account once a clinic validated
# the person (matched by appointments on the NAM's keyed HMAC and birth date) ---


@router.get("/history", response_class=HTMLResponse)
async def history(request: Request, principal: CitizenPage) -> Response:
    listing = await Appointments.of(request, principal).history()
    lang = language_of(request)
    _written_out(listing["appointments"], lang)
    return render(request, "account/history.html", history=listing, h=HISTORY_TEXTS[lang], active="appointments")


@router.get("/history/{document}")
async def history_document(request: Request, principal: CitizenPage, document: Literal["pdf", "ics"]) -> Response:
    answer = await Appointments.of(request, principal).history_document(document, language_of(request))
    return Response(answer.body, status_code=answer.status, headers=answer.headers)
