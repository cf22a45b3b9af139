"""Citizen account pages: register, confirm with a code, log in, family, personal information, delete.

Tokens live in HttpOnly, SameSite=Lax cookies (gateway/session_cookies.py); an expired access token is
refreshed transparently, and the page that did it sets the new pair.
"""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.admin_pages import staff_of
from gateway.auth import STAFF_CANNOT_REGISTER, Principal
from gateway.page_sessions import optional_citizen
from gateway.proxy import Proxy, UpstreamResponse
from gateway.session_cookies import SessionCookies
from gateway.web.dates import slot_days, when
from gateway.web.history_texts import HISTORY_TEXTS
from gateway.web.pages import field_errors, render
from gateway.web.texts import language_of

router = APIRouter(prefix="/account", include_in_schema=False)
Text = Annotated[str, Form()]
SEE_OTHER = 303


def _proxy(request: Request) -> Proxy:
    return request.app.state.proxy


def _optional(value: str) -> str | None:
    return value.strip() or None


def _cookies(request: Request) -> SessionCookies:
    return request.app.state.cookies


def _set_session(request: Request, response: Response, tokens: dict[str, Any]) -> None:
    _cookies(request).set_citizen_session(response, tokens)


def _clear_session(request: Request, response: Response) -> None:
    _cookies(request).clear_citizen_session(response)


async def citizen_session(request: Request) -> tuple[Principal | None, None]:
    """The signed-in citizen (gateway/page_sessions.py refreshes an expired session and sets the new cookies)."""
    return await optional_citizen(request), None


def login_redirect() -> RedirectResponse:
    return RedirectResponse("/account/login", status_code=SEE_OTHER)


def with_tokens(response: Response, _: None) -> Response:
    return response


def _code_page(request: Request, challenge: dict[str, Any], purpose: str, next_url: str, **extra: Any) -> HTMLResponse:
    return render(request, "account/code.html", challenge=challenge, purpose=purpose, next_url=next_url, **extra)


def _errors(request: Request, answer: UpstreamResponse) -> dict[str, str]:
    return field_errors(answer.json().get("errors", []), language_of(request))


@router.get("/register", response_class=HTMLResponse)
async def register_form(request: Request) -> HTMLResponse:
    return render(request, "account/register.html", values={}, errors={})


@router.post("/register", response_class=HTMLResponse)
async def register(
    request: Request,
    first_name: Text = "",
    last_name: Text = "",
    birth_date: Text = "",
    sex: Text = "",
    nam: Text = "",
    email: Text = "",
    phone: Text = "",
    language: Text = "fr",
    password: Text = "",
) -> HTMLResponse:
    values = {"first_name": first_name, "last_name": last_name, "birth_date": birth_date, "sex": sex, "nam": nam}
    values |= {"email": email, "phone": phone, "language": language}
    if staff_of(request) is not None:
        # As the API's /api/registrations (gateway/routes.py, audience not_staff): a staff session in this
        # browser means a clerk, who must never open a citizen account from the console's seat.
        lang = language_of(request)
        errors = {"form": STAFF_CANNOT_REGISTER.fr if lang == "fr" else STAFF_CANNOT_REGISTER.en}
        return render(request, "account/register.html", status=403, values=values, errors=errors)
    payload = {k: _optional(v) for k, v in values.items()} | {"password": password}
    answer = await _proxy(request).call_json("accounts", "POST", "/registrations", payload)
    if answer.status != 202:
        return render(
            request, "account/register.html", status=answer.status, values=values, errors=_errors(request, answer)
        )
    return _code_page(request, answer.json(), "activate_account", "/account/login?activated=1")


@router.post("/code", response_class=HTMLResponse)
async def submit_code(
    request: Request, challenge_id: Text = "", purpose: Text = "", code: Text = "", next_url: Text = "/account"
) -> Response:
    principal, tokens = await citizen_session(request)
    identity = principal.identity_headers() if principal else {}
    answer = await _proxy(request).call_json(
        "verification",
        "POST",
        f"/challenges/{challenge_id}/verify",
        {"code": code.strip(), "purpose": purpose},
        identity=identity,
    )
    challenge = {"challenge_id": challenge_id, "sent_to": ""}
    if answer.status != 200:
        return _code_page(request, challenge, purpose, next_url, errors=_errors(request, answer))
    safe_next = next_url if next_url.startswith("/account") else "/account"
    return with_tokens(RedirectResponse(safe_next, status_code=SEE_OTHER), tokens)


@router.post("/code/resend", response_class=HTMLResponse)
async def resend_code(
    request: Request, challenge_id: Text = "", purpose: Text = "", next_url: Text = "/account"
) -> Response:
    principal, _ = await citizen_session(request)
    identity = principal.identity_headers() if principal else {}
    answer = await _proxy(request).call_json("accounts", "POST", f"/codes/{challenge_id}/resend", {}, identity=identity)
    if answer.status != 202:
        return _code_page(request, {"challenge_id": challenge_id}, purpose, next_url, errors=_errors(request, answer))
    return _code_page(request, answer.json(), purpose, next_url, resent=True)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, activated: int = 0) -> HTMLResponse:
    return render(request, "account/login.html", activated=bool(activated), errors={}, identifier="")


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, identifier: Text = "", password: Text = "") -> Response:
    answer = await _proxy(request).call_json(
        "accounts",
        "POST",
        "/sessions",
        {"identifier": identifier, "password": password},
        client_ip=request.client.host if request.client else "",
    )
    if answer.status != 200:
        return render(
            request,
            "account/login.html",
            status=answer.status,
            activated=False,
            errors=_errors(request, answer),
            identifier=identifier,
        )
    response = RedirectResponse("/account", status_code=SEE_OTHER)
    _set_session(request, response, answer.json())
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    refresh = request.cookies.get(_cookies(request).citizen_refresh)
    if refresh:
        await _proxy(request).call_json("accounts", "POST", "/sessions/logout", {"refresh_token": refresh})
    response = RedirectResponse("/", status_code=SEE_OTHER)
    _clear_session(request, response)
    return response


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request, changed: int = 0) -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    return with_tokens(await _dashboard(request, principal, changed=bool(changed)), tokens)


async def _dashboard(request: Request, principal: Principal, status: int = 200, **extra: Any) -> HTMLResponse:
    identity = principal.identity_headers()
    profile = (await _proxy(request).request("accounts", "GET", "/me", identity=identity)).json()
    family = (await _proxy(request).request("accounts", "GET", "/me/dependants", identity=identity)).json()
    extra.setdefault("errors", {})
    return render(request, "account/dashboard.html", status=status, profile=profile, family=family, **extra)


@router.post("/profile", response_class=HTMLResponse)
async def update_profile(
    request: Request,
    first_name: Text = "",
    last_name: Text = "",
    birth_date: Text = "",
    address: Text = "",
    city: Text = "",
    postal_code: Text = "",
    notify: Text = "email",
) -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    payload = {
        "first_name": first_name,
        "last_name": last_name,
        "birth_date": birth_date,
        "address": _optional(address),
        "city": _optional(city),
        "postal_code": _optional(postal_code),
        "notify_email": notify in ("email", "both"),
        "notify_sms": notify in ("sms", "both"),
    }
    answer = await _proxy(request).call_json("accounts", "PATCH", "/me", payload, identity=principal.identity_headers())
    if answer.status != 200:
        return with_tokens(await _dashboard(request, principal, answer.status, errors=_errors(request, answer)), tokens)
    return with_tokens(RedirectResponse("/account?changed=1", status_code=SEE_OTHER), tokens)


@router.post("/family", response_class=HTMLResponse)
async def add_dependant(
    request: Request, first_name: Text = "", last_name: Text = "", birth_date: Text = "", sex: Text = "", nam: Text = ""
) -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    payload = {"first_name": first_name, "last_name": last_name, "birth_date": _optional(birth_date)}
    payload |= {"sex": _optional(sex), "nam": _optional(nam)}
    answer = await _proxy(request).call_json(
        "accounts", "POST", "/me/dependants", payload, identity=principal.identity_headers()
    )
    if answer.status != 201:
        return with_tokens(
            await _dashboard(request, principal, answer.status, errors=_errors(request, answer), dependant=payload),
            tokens,
        )
    return with_tokens(RedirectResponse("/account#family", status_code=SEE_OTHER), tokens)


@router.post("/family/{dependant_id}/remove")
async def remove_dependant(request: Request, dependant_id: uuid.UUID) -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    await _proxy(request).request(
        "accounts", "DELETE", f"/me/dependants/{dependant_id}", identity=principal.identity_headers()
    )
    return with_tokens(RedirectResponse("/account#family", status_code=SEE_OTHER), tokens)


@router.post("/sensitive", response_class=HTMLResponse)
async def request_sensitive_change(
    request: Request, kind: Text = "", new_value: Text = "", current_password: Text = ""
) -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    answer = await _proxy(request).call_json(
        "accounts",
        "POST",
        "/me/sensitive-changes",
        {"kind": kind, "new_value": new_value, "current_password": current_password},
        identity=principal.identity_headers(),
    )
    if answer.status != 202:
        return with_tokens(await _dashboard(request, principal, answer.status, errors=_errors(request, answer)), tokens)
    return with_tokens(_code_page(request, answer.json(), f"change_{kind}", "/account?changed=1"), tokens)


@router.get("/delete", response_class=HTMLResponse)
async def delete_form(request: Request) -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    return with_tokens(render(request, "account/delete.html", errors={}, deleted=False), tokens)


@router.post("/delete", response_class=HTMLResponse)
async def delete_account(request: Request, password: Text = "") -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    answer = await _proxy(request).call_json(
        "accounts", "POST", "/me/delete", {"password": password}, identity=principal.identity_headers()
    )
    if answer.status != 204:
        return with_tokens(
            render(
                request, "account/delete.html", status=answer.status, errors=_errors(request, answer), deleted=False
            ),
            tokens,
        )
    response = render(request, "account/delete.html", errors={}, deleted=True, signed_in=False)
    _clear_session(request, response)
    return response


@router.get("/appointments", response_class=HTMLResponse)
async def my_appointments(request: Request, done: str = "") -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    answer = await _proxy(request).request(
        "appointments", "GET", "/my/appointments", identity=principal.identity_headers()
    )
    listing = answer.json()
    lang = language_of(request)
    for group in ("upcoming", "past"):
        for appointment in listing[group]:
            appointment["when"] = when(appointment["starts_at"], lang)
    return with_tokens(render(request, "account/appointments.html", listing=listing, done=done), tokens)


@router.post("/appointments/{appointment_id}/{action}", response_class=HTMLResponse)
async def act_on_appointment(request: Request, appointment_id: uuid.UUID, action: str) -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    if action not in ("cancel", "confirm"):
        return RedirectResponse("/account/appointments", status_code=SEE_OTHER)
    answer = await _proxy(request).call_json(
        "appointments", "POST", f"/my/appointments/{appointment_id}/{action}", {}, identity=principal.identity_headers()
    )
    done = action if answer.status == 200 else "error"
    return with_tokens(RedirectResponse(f"/account/appointments?done={done}", status_code=SEE_OTHER), tokens)


@router.get("/appointments/{appointment_id}/reschedule", response_class=HTMLResponse)
async def reschedule_form(request: Request, appointment_id: uuid.UUID, service_id: uuid.UUID) -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    slots = (
        await _proxy(request).request("appointments", "GET", "/slots", query=f"service_id={service_id}&limit=300")
    ).json()
    days = slot_days(slots, language_of(request))
    return with_tokens(
        render(request, "account/reschedule.html", appointment_id=appointment_id, days=days, errors={}), tokens
    )


@router.post("/appointments/{appointment_id}/reschedule", response_class=HTMLResponse)
async def reschedule(request: Request, appointment_id: uuid.UUID, slot_id: Text = "") -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    answer = await _proxy(request).call_json(
        "appointments",
        "POST",
        f"/my/appointments/{appointment_id}/reschedule",
        {"slot_id": slot_id},
        identity=principal.identity_headers(),
    )
    if answer.status != 200:
        errors = _errors(request, answer)
        return with_tokens(
            render(
                request,
                "account/reschedule.html",
                status=answer.status,
                appointment_id=appointment_id,
                days=[],
                errors=errors,
            ),
            tokens,
        )
    return with_tokens(RedirectResponse("/account/appointments?done=reschedule", status_code=SEE_OTHER), tokens)


@router.get("/appointments/{appointment_id}/calendar.ics")
async def calendar_file(request: Request, appointment_id: uuid.UUID) -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    answer = await _proxy(request).request(
        "appointments", "GET", f"/my/appointments/{appointment_id}.ics", identity=principal.identity_headers()
    )
    return with_tokens(Response(answer.body, status_code=answer.status, headers=answer.headers), tokens)


# --- history: every appointment of the account, with those booked without an account once a clinic validated
# the person (matched by appointments on the NAM's keyed HMAC and birth date) ---


@router.get("/history", response_class=HTMLResponse)
async def history(request: Request) -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    answer = await _proxy(request).request("appointments", "GET", "/my/history", identity=principal.identity_headers())
    listing = answer.json()
    lang = language_of(request)
    for appointment in listing["appointments"]:
        appointment["when"] = when(appointment["starts_at"], lang)
    return with_tokens(render(request, "account/history.html", history=listing, h=HISTORY_TEXTS[lang]), tokens)


@router.get("/history/{document}")
async def history_document(request: Request, document: Literal["pdf", "ics"]) -> Response:
    principal, tokens = await citizen_session(request)
    if principal is None:
        return login_redirect()
    answer = await _proxy(request).request(
        "appointments",
        "GET",
        f"/my/history/{document}",
        query=f"language={language_of(request)}",
        identity=principal.identity_headers(),
    )
    return with_tokens(Response(answer.body, status_code=answer.status, headers=answer.headers), tokens)
