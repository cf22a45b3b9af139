"""Cross-site request forgery: a state-changing request must come from a page of this origin.

Two checks, each enough against a different attacker: the Origin (or, without one, the Referer) must be
this gateway's, which stops pages of other origins, same-site ones included (another port of the same host,
a sibling subdomain); and a form must carry the token of the `csrf` cookie (double submit), which stops a
request whose headers were forged by something other than a browser acting for the visitor. Login forms are
covered too: signing a visitor into the attacker's account is an attack of its own.

JSON calls to /api carrying no session cookie cannot be forged this way (a browser never adds an
Authorization header by itself), so only cookie-authenticated ones are checked, by Origin.
"""

import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.refusals import refusal
from shared.errors import ApiError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_FIELD = "csrf_token"
HEADER = b"x-csrf-token"
MAX_FORM_BYTES = 1 << 20  # the portal's forms are a few hundred bytes; nothing is buffered beyond this

FOREIGN_ORIGIN = ApiError(
    403,
    "foreign_origin",
    None,
    "Cette demande ne vient pas d'une page de ce site : elle a été refusée. Rechargez la page et réessayez.",
    "This request did not come from a page of this site and was refused. Reload the page and try again.",
)
STALE_FORM = ApiError(
    403,
    "csrf_token_invalid",
    FORM_FIELD,
    "Ce formulaire a expiré ou ne vient pas de ce site. Rechargez la page et réessayez.",
    "This form expired or did not come from this site. Reload the page and try again.",
)
FORM_TOO_LARGE = ApiError(413, "body_too_large", None, "Formulaire trop volumineux.", "Form too large.")


def cookie_name(secure: bool) -> str:
    # __Host-: only settable by this host over HTTPS, for the whole site; browsers refuse it over plain HTTP.
    return "__Host-csrf" if secure else "csrf"


def same_origin(headers: dict[bytes, str], trusted: frozenset[str]) -> bool:
    """Whether the request's Origin (else its Referer's origin) is this gateway's or a configured one."""
    origin = headers.get(b"origin")
    if origin == "null":
        return False  # sandboxed frames and privacy-stripped requests: no page of ours sends it
    if origin is None:
        referer = headers.get(b"referer")
        if not referer:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin in trusted:
        return True
    host = headers.get(b"host")
    return host is not None and urlsplit(origin).netloc == host


class CsrfGuard:
    def __init__(self, app: ASGIApp, secure: bool, session_cookies: tuple[str, ...], trusted: tuple[str, ...] = ()):
        self.app = app
        self.secure = secure
        self.cookie = cookie_name(secure)
        self.session_cookies = session_cookies
        self.trusted = frozenset(origin.rstrip("/") for origin in trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        safe = scope["method"] in SAFE_METHODS
        if scope["path"].startswith(("/api/", "/static/")):
            # No form there: the JSON API is checked by Origin alone, and needs no token nor cookie.
            if not safe and not self._api_call_allowed(scope):
                await refusal(scope, FOREIGN_ORIGIN)(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        cookies = cookie_parser(headers.get(b"cookie", ""))
        token = cookies.get(self.cookie, "")
        issued = ""
        if len(token) != 43:  # what token_urlsafe(32) makes; anything else is replaced, never trusted
            token = issued = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token

        if not safe:
            refused = await self._form_refusal(scope, headers, issued, receive)
            if isinstance(refused, ApiError):
                await refusal(scope, refused)(scope, receive, send)
                return
            receive = refused

        if not issued:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie: SimpleCookie = SimpleCookie()
                cookie[self.cookie] = issued
                morsel = cookie[self.cookie]
                morsel["path"] = "/"
                morsel["httponly"] = True
                morsel["samesite"] = "Lax"
                morsel["secure"] = self.secure
                MutableHeaders(scope=message).append("set-cookie", morsel.OutputString())
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _api_call_allowed(self, scope: Scope) -> bool:
        # Every proxied booking passes here: only the two headers that decide are looked at, as bytes.
        cookie = b""
        for name, value in scope["headers"]:
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                return True  # a browser never adds this header by itself: nothing to forge
            if name == b"cookie" and not cookie:
                cookie = value
        if not cookie:
            return True
        cookies = cookie_parser(cookie.decode("latin-1"))
        with_session = any(name in cookies for name in self.session_cookies)
        return not with_session or same_origin(_headers(scope), self.trusted)

    async def _form_refusal(
        self, scope: Scope, headers: dict[bytes, str], issued: str, receive: Receive
    ) -> ApiError | Receive:
        """The reason to refuse a form, or the `receive` the app must read the (already read) body from."""
        if not same_origin(headers, self.trusted):
            return FOREIGN_ORIGIN
        body, replay = await _buffered(receive)
        if body is None:
            return FORM_TOO_LARGE
        submitted = headers.get(HEADER, "") or _form_token(headers, body)
        expected = scope["state"]["csrf_token"].encode()
        if issued or not submitted or not hmac.compare_digest(submitted.encode("utf-8", "replace"), expected):
            return STALE_FORM
        return replay


def _headers(scope: Scope) -> dict[bytes, str]:
    """The first value of each header, as Request.headers.get() takes it."""
    headers: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name, value.decode("latin-1"))
    return headers


def _form_token(headers: dict[bytes, str], body: bytes) -> str:
    if not headers.get(b"content-type", "").startswith("application/x-www-form-urlencoded"):
        return ""
    values = parse_qs(body.decode("latin-1"), max_num_fields=200).get(FORM_FIELD, [])
    return values[0] if values else ""


async def _buffered(receive: Receive) -> tuple[bytes | None, Receive]:
    """The whole body (None past MAX_FORM_BYTES), and a `receive` that hands it to the app again."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None, receive
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay
