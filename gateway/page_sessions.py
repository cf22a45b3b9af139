"""Who is signed in, for a page: one dependency for citizen pages and one for staff pages.

Each reads its session cookie and, when the access token has expired, spends the refresh token for a new pair
(each refresh token works once). The new pair is kept on the request and `RefreshedSessionCookies` writes it on
whatever the page answers, a page, a redirect or a download, so no page can forget it and sign the visitor out.
A page that needs a session and finds none raises `SignInRequired`: the visitor is sent to the right sign-in
page, which brings them back to the page they asked for.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import MutableHeaders
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.auth import Principal
from gateway.session_cookies import SessionCookies
from shared.errors import ApiError

Audience = Literal["citizen", "staff"]
SEE_OTHER = 303
SIGN_IN = {"citizen": "/account/login", "staff": "/admin/login"}
HOME = {"citizen": "/account", "staff": "/admin"}


class SignInRequired(Exception):  # noqa: N818 - reads better at the raise site
    def __init__(self, audience: Audience, back_to: str) -> None:
        super().__init__(audience)
        self.audience = audience
        self.back_to = back_to


class ElsewhereInConsole(Exception):  # noqa: N818 - reads better at the raise site
    """A staff member signed in who cannot use this page as they are: an operator on a clinic's page (theirs is
    /admin/operator), or someone with several establishments who has not chosen one yet (the chooser)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class OperatorsOnly(Exception):  # noqa: N818 - reads better at the raise site
    """A staff member signed in on a platform operator's page who is not one (clinic staff, or someone who has not
    chosen an establishment yet): they get a 403 page saying these pages are not theirs, in their console."""

    def __init__(self, staff: Principal) -> None:
        super().__init__(staff.role)
        self.staff = staff


@dataclass(frozen=True)
class Refreshed:
    audience: Audience
    tokens: dict[str, Any]


def safe_return_path(asked: str | None, audience: Audience) -> str:
    """Where sign-in may send the visitor back: a page of this site in the same area, never another site."""
    if asked and asked.startswith(HOME[audience]) and not asked.startswith("//") and "\\" not in asked:
        return asked
    return HOME[audience]


def sign_in_redirect(exc: SignInRequired) -> RedirectResponse:
    return RedirectResponse(f"{SIGN_IN[exc.audience]}?next={quote(exc.back_to, safe='/')}", status_code=SEE_OTHER)


def elsewhere_redirect(exc: ElsewhereInConsole) -> RedirectResponse:
    return RedirectResponse(exc.location, status_code=SEE_OTHER)


OPERATOR_HOME = "/admin/operator"
CHOOSER = "/admin/establishment"


def chooser_url(back_to: str) -> str:
    return f"{CHOOSER}?next={quote(safe_return_path(back_to, 'staff'), safe='/')}"


async def _session(request: Request, audience: Audience) -> Principal | None:
    cookies: SessionCookies = request.app.state.cookies
    access, refresh_name = (
        (cookies.citizen_access, cookies.citizen_refresh)
        if audience == "citizen"
        else (cookies.staff_access, cookies.staff_refresh)
    )
    verifier = request.app.state.verifier
    token = request.cookies.get(access)
    if token:
        try:
            principal: Principal | None = verifier.from_token(token)
        except ApiError:  # expired, revoked or forged: the refresh token may still be good
            principal = None
        if principal is not None and principal.audience == audience:
            return principal
    refresh = request.cookies.get(refresh_name)
    if not refresh:
        return None
    answer = await request.app.state.proxy.call_json(
        "accounts", "POST", "/sessions/refresh", {"refresh_token": refresh}
    )
    if answer.status != 200:
        return None
    tokens = answer.json()
    try:
        principal = verifier.from_token(tokens["access_token"])
    except ApiError:
        return None
    if principal.audience != audience:
        return None
    request.state.refreshed_session = Refreshed(audience, tokens)
    return principal


def _back_to(request: Request, audience: Audience) -> str:
    # After signing in, a GET comes back to itself; a form posted with an expired session cannot be replayed.
    if request.method == "GET":
        return safe_return_path(request.url.path + (f"?{request.url.query}" if request.url.query else ""), audience)
    return HOME[audience]


def _required(audience: Audience) -> Callable[[Request], Any]:
    async def signed_in(request: Request) -> Principal:
        principal = await _session(request, audience)
        if principal is None:
            raise SignInRequired(audience, _back_to(request, audience))
        return principal

    return signed_in


async def _any_staff(request: Request) -> Principal:
    principal = await _session(request, "staff")
    if principal is None:
        raise SignInRequired("staff", _back_to(request, "staff"))
    return principal


async def _clinic_staff(request: Request) -> Principal:
    """A staff member acting for one establishment: the token names it (clerk or manager there)."""
    principal = await _any_staff(request)
    if principal.establishment_id is None:
        if principal.role == "operator":
            raise ElsewhereInConsole(OPERATOR_HOME)
        raise ElsewhereInConsole(chooser_url(_back_to(request, "staff")))
    return principal


async def optional_citizen(request: Request) -> Principal | None:
    return await _session(request, "citizen")


async def optional_staff(request: Request) -> Principal | None:
    return await _session(request, "staff")


CitizenPage = Annotated[Principal, Depends(_required("citizen"))]
# A clinic's pages (Suivi, schedules, staff...): staff with an establishment chosen. The chooser takes any
# signed-in staff member (ConsoleStaff) and looks at the role itself.
StaffPage = Annotated[Principal, Depends(_clinic_staff)]
ConsoleStaff = Annotated[Principal, Depends(_any_staff)]


async def _operator(staff: ConsoleStaff) -> Principal:
    """A platform operator: their token names no establishment. Through ConsoleStaff, so a visitor signed out is
    sent to sign in first, like on any console page."""
    if staff.role != "operator" or staff.establishment_id is not None:
        raise OperatorsOnly(staff)
    return staff


# The operators' pages (/admin/operator...): operators only; other staff get the 403 page of OperatorsOnly.
OperatorPage = Annotated[Principal, Depends(_operator)]
OptionalCitizen = Annotated[Principal | None, Depends(optional_citizen)]
OptionalStaff = Annotated[Principal | None, Depends(optional_staff)]


class RefreshedSessionCookies:
    """Writes the pair a page's dependency got by refreshing on that page's answer, whatever it is."""

    def __init__(self, app: ASGIApp, cookies: SessionCookies) -> None:
        self.app = app
        self.cookies = cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookies(message: Message) -> None:
            refreshed: Refreshed | None = scope.get("state", {}).get("refreshed_session")
            if message["type"] == "http.response.start" and refreshed is not None:
                carrier = Response()
                if refreshed.audience == "citizen":
                    self.cookies.set_citizen_session(carrier, refreshed.tokens)
                else:
                    self.cookies.set_staff_session(carrier, refreshed.tokens)
                headers = MutableHeaders(scope=message)
                for value in carrier.headers.getlist("set-cookie"):
                    headers.append("set-cookie", value)
            await send(message)

        await self.app(scope, receive, send_with_cookies)
