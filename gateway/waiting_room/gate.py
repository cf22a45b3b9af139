"""The waiting room's ASGI middleware: booking and slot-search requests pass, or get a place in the queue.

Guarded: the JSON API's bookings, reschedulings and slot searches, and the portal's search, booking and
rescheduling pages (the account's and the manage link's).
Everything else (sign-in, accounts, console, health, metrics) is never queued. A request holding a valid
admission passes at once; any other is decided on this replica's cached view of the shared state
(room.py): a queued answer costs one `nextval` for a new visitor, nothing for one already holding a ticket;
a ticket whose turn came costs one INSERT, recording that it minted its admission (once, rules.admission_mintable).
"""

import time
from typing import Literal
from urllib.parse import parse_qsl, quote, urlsplit

import orjson
import structlog
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.waiting_room.room import DECISIONS, STORE_ERRORS, WaitingRoom
from gateway.waiting_room.rules import (
    API_RETRY_AFTER_CAP_SECONDS,
    Ticket,
    Verdict,
    admission_mintable,
    decide,
    estimated_wait_seconds,
    position,
    read_admission,
    read_ticket,
    retry_after_for,
    sign_admission,
    sign_ticket,
    without_store,
)
from gateway.web.pages import render
from gateway.web.texts import TEXTS, language_of

log = structlog.get_logger(__name__)

TICKET_HEADER = "waiting-room-ticket"
ADMISSION_HEADER = "waiting-room-admission"
_TICKET_HEADER = TICKET_HEADER.encode()
_ADMISSION_HEADER = ADMISSION_HEADER.encode()
Kind = Literal["api", "page"]

_API_SEARCHES = ("/api/slots", "/api/search")
_API_BOOKINGS = ("/api/appointments", "/api/my/appointments")
# Moving a booking claims a seat as booking does: by the API (a citizen's own, or by a message's link and its
# token) and by the pages (the account's and the manage link's).
_PAGE_BOOKINGS = ("/account/appointments", "/appointments")


def _reschedules(path: str, prefixes: tuple[str, ...]) -> bool:
    return path.endswith("/reschedule") and any(
        path.startswith(prefix + "/") and len(path) > len(prefix) + len("//reschedule") for prefix in prefixes
    )


def guarded(method: str, path: str, query: bytes) -> Kind | None:
    """Which kind of guarded request this is, or None for traffic the room never queues."""
    reading = method in ("GET", "HEAD")
    if path.startswith("/api/"):
        if method == "POST" and (path in _API_BOOKINGS or _reschedules(path, _API_BOOKINGS)):
            return "api"
        if reading and any(path == p or path.startswith(p + "/") for p in _API_SEARCHES):
            return "api"
        return None
    if reading and path == "/" and query and _asks_search(query):  # a search, not the home page's bare form
        return "page"
    if (reading and path.startswith("/book/")) or (method == "POST" and path == "/book"):
        return "page"
    if (reading or method == "POST") and _reschedules(path, _PAGE_BOOKINGS):
        return "page"
    return None


def _asks_search(query: bytes) -> bool:
    """Whether the portal's home would search: it reads its keys decoded (Starlette's QueryParams), so an encoded
    key (postal%5Fcode) searches too and must not pass unqueued."""
    return any(key == "postal_code" for key, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True))


def cookie_names(secure: bool) -> tuple[str, str]:
    prefix = "__Host-" if secure else ""  # as the session cookies (gateway/session_cookies.py)
    return f"{prefix}waiting_room_ticket", f"{prefix}waiting_room_admission"


def _cookie(name: str, value: str, max_age: int, secure: bool) -> bytes:
    flags = "; Secure" if secure else ""
    return f"{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{flags}".encode("latin-1")


def _wait_words(seconds: int, words: dict[str, str]) -> str:
    if seconds < 60:
        return words["wr_wait_under_minute"]
    minutes = round(seconds / 60)
    return words["wr_wait_minutes_one"] if minutes == 1 else words["wr_wait_minutes_many"].format(n=minutes)


def _same_site_target(scope: Scope) -> str:
    """Where the waiting page leads: the page asked for; after a form's POST (which cannot be replayed), the
    page the form was on when it is ours, else the portal's home."""
    if scope["method"] in ("GET", "HEAD"):
        query = scope["query_string"].decode("latin-1")
        return quote(scope["path"], safe="/:@!$&'()*+,;=-._~%") + (f"?{query}" if query else "")
    headers = dict(scope["headers"])
    referer = urlsplit(str(headers.get(b"referer", b"").decode("latin-1")))
    host = str(headers.get(b"host", b"").decode("latin-1"))
    if referer.netloc == host and referer.path.startswith("/") and not referer.path.startswith("//"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


class WaitingRoomGate:
    def __init__(self, app: ASGIApp, room: WaitingRoom, secure: bool) -> None:
        self.app = app
        self.room = room
        self.secure = secure
        self.ticket_cookie, self.admission_cookie = cookie_names(secure)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = guarded(scope["method"], scope["path"], scope["query_string"]) if scope["type"] == "http" else None
        if kind is None or not self.room.enabled:
            await self.app(scope, receive, send)
            return
        room = self.room
        now = time.time()
        headers = dict(scope["headers"])
        cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
        admission = headers.get(_ADMISSION_HEADER, b"").decode("latin-1") or cookies.get(self.admission_cookie, "")
        admitted = read_admission(room.key, admission, now) if admission else None
        if admitted is not None and room.use_admission(*admitted):
            DECISIONS.labels("admitted").inc()
            await self._through(scope, receive, send, None)
            return
        # Past its cap, an admission is no more than none: a ticket, or a place at the end.
        token = headers.get(_TICKET_HEADER, b"").decode("latin-1") or cookies.get(self.ticket_cookie, "")
        ticket = read_ticket(room.key, token, now, room.ticket_seconds) if token else None
        state = room.effective()
        verdict = decide(state, room.overloaded(), ticket, stale=room.stale)
        if verdict is Verdict.ADMIT:
            assert ticket is not None
            try:
                first_admitted = await room.record_admission(ticket)
            except STORE_ERRORS as exc:
                log.warning("waiting_room_admission_unrecorded", error=type(exc).__name__)
                verdict = without_store(room.overloaded())  # no admission minted: the ticket is kept
            else:
                if admission_mintable(first_admitted, room.admission_grace_seconds):
                    DECISIONS.labels("admitted").inc()
                    expires_at = int(now) + room.admission_seconds
                    await self._through(scope, receive, send, sign_admission(room.key, ticket.number, expires_at))
                    return
                verdict, ticket = Verdict.DRAW, None  # spent: to the end of the queue
        if verdict is Verdict.REFUSE:
            await self._refused(scope, send, kind)
        elif verdict is Verdict.THROUGH:
            DECISIONS.labels("through").inc()
            await self._through(scope, receive, send, None)
        else:
            drawn = verdict is Verdict.DRAW
            if drawn:
                try:
                    ticket = await room.draw()
                except STORE_ERRORS as exc:
                    log.warning("waiting_room_ticket_unavailable", error=type(exc).__name__)
                    if without_store(room.overloaded()) is Verdict.REFUSE:
                        await self._refused(scope, send, kind)
                    else:
                        DECISIONS.labels("through").inc()
                        await self._through(scope, receive, send, None)
                    return
                DECISIONS.labels("queued").inc()
            else:
                DECISIONS.labels("waiting").inc()
            assert ticket is not None
            await self._queued(scope, send, kind, ticket, drawn)

    async def _through(self, scope: Scope, receive: Receive, send: Send, admission: str | None) -> None:
        room = self.room
        started = room.entered()

        async def send_admitted(message: Message) -> None:
            if message["type"] == "http.response.start" and admission is not None:
                extra = [
                    (_ADMISSION_HEADER, admission.encode()),
                    (b"set-cookie", _cookie(self.admission_cookie, admission, room.admission_seconds, self.secure)),
                    (b"set-cookie", _cookie(self.ticket_cookie, "", 0, self.secure)),  # spent
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, send_admitted)
        finally:
            room.left(started)

    async def _queued(self, scope: Scope, send: Send, kind: Kind, ticket: Ticket, drawn: bool) -> None:
        room = self.room
        state = room.effective()
        place = position(ticket, state)
        rate = room.service_rate()
        wait = estimated_wait_seconds(place, rate)  # what the visitor is told
        cap = API_RETRY_AFTER_CAP_SECONDS if kind == "api" else room.page_refresh_seconds
        retry = retry_after_for(place, rate, cap)  # when they check: sooner
        token = sign_ticket(room.key, ticket)
        headers: list[tuple[bytes, bytes]] = [
            (b"retry-after", str(retry).encode()),
            (_TICKET_HEADER, token.encode()),
            (b"cache-control", b"no-store"),
        ]
        if kind == "api":
            status = 429
            body = orjson.dumps(
                {
                    "detail": "waiting_room",
                    "errors": [
                        {
                            "field": None,
                            "code": "waiting_room",
                            "message": {
                                "fr": "Beaucoup de demandes en ce moment : vous avez une place dans la file "
                                "d'attente. Réessayez après Retry-After avec le billet reçu.",
                                "en": "Many requests right now: you have a place in the queue. Try again after "
                                "Retry-After with the ticket received.",
                            },
                        }
                    ],
                    "code": "waiting_room",
                    "position": place,
                    "estimated_wait_seconds": wait,
                    "ticket": token,
                }
            )
            headers.append((b"content-type", b"application/json"))
        else:
            status = 503  # the page is an answer, but not the one asked for: no cache nor crawler keeps it
            body = self._page(scope, place, wait)
            headers.append((b"content-type", b"text/html; charset=utf-8"))
            if drawn:
                headers.append((b"set-cookie", _cookie(self.ticket_cookie, token, room.ticket_seconds, self.secure)))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    async def _refused(self, scope: Scope, send: Send, kind: Kind) -> None:
        """No place to give (the store away) and this replica over its budget: ask again later. A ticket held
        is kept (no cookie touched), for when the store is back."""
        DECISIONS.labels("refused").inc()
        retry = self.room.page_refresh_seconds
        headers: list[tuple[bytes, bytes]] = [(b"retry-after", str(retry).encode()), (b"cache-control", b"no-store")]
        if kind == "api":
            body = orjson.dumps(
                {
                    "detail": "waiting_room_full",
                    "errors": [
                        {
                            "field": None,
                            "code": "waiting_room_full",
                            "message": {
                                "fr": "Beaucoup de demandes en ce moment : réessayez après Retry-After.",
                                "en": "Many requests right now: try again after Retry-After.",
                            },
                        }
                    ],
                    "code": "waiting_room_full",
                }
            )
            headers.append((b"content-type", b"application/json"))
        else:
            body = self._page(scope, None, retry)
            headers.append((b"content-type", b"text/html; charset=utf-8"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    def _page(self, scope: Scope, place: int | None, wait: int) -> bytes:
        request = Request(scope)
        words = TEXTS[language_of(request)]
        response = render(
            request,
            "portal/waiting_room.html",
            status=503,
            position=place,
            wait=_wait_words(wait, words),
            refresh_seconds=self.room.page_refresh_seconds,
            target=_same_site_target(scope),
        )
        return bytes(response.body)
