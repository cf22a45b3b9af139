"""The outer layer of every app (gateway and services): what no request may bring, and what no crash may log.

- A body larger than the app's limit is refused with 413 (FR/EN) as soon as Content-Length says so, or as
  soon as the streamed body passes the limit: at most the limit plus one chunk is ever held. A 300 MB body
  once took the gateway to 718 MB and a service to 1,066 MB.
- A NUL byte in the URL's path or query (%00) is refused with 422: PostgreSQL refuses it in text, which used
  to surface as a 500. (Request bodies are checked per field by shared.request_models.)
- An exception no handler took is logged as its type, its PostgreSQL error code and where it was raised,
  never its message: a database error's message carries the failed statement's DETAIL (row values) and, from
  SQLAlchemy without hide_parameters, every parameter (e-mail, phone, encrypted NAM, password hash). Caught
  here, it no longer reaches uvicorn, which would log it whole.

It wraps the whole app, Starlette's error middleware included (shared.http.ServiceApp), so that the
middlewares an app adds later (the gateway's canonical path and CSRF checks) and the pure-ASGI fast paths
innermost all read bodies through this limit. Only what must mark every answer, these refusals included (the
gateway's security headers), wraps it in turn: ServiceApp.add_outermost_middleware.
"""

import json

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import MESSAGES
from shared.logging import exception_summary

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
log = structlog.get_logger()


class BodyTooLarge(HTTPException):
    """Raised by the limited receive. An HTTPException, so that FastAPI's body parsing lets it through to the
    app's handler (shared.errors answers 413) rather than turning it into a 400."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="body_too_large")


INTERNAL_ERROR = (
    "Une erreur inattendue est survenue. Réessayez dans un instant.",
    "An unexpected error occurred. Please try again shortly.",
)


def refusal_body(scope: Scope, status: int, code: str, field: str | None) -> bytes:
    """The body every 4xx/5xx carries (shared.errors), in the request's language."""
    fr, en = INTERNAL_ERROR if status >= 500 else MESSAGES[code]
    english = any(name == b"accept-language" and value.lower().startswith(b"en") for name, value in scope["headers"])
    error = {"field": field, "code": code, "message": {"fr": fr, "en": en}}
    return json.dumps({"detail": en if english else fr, "errors": [error]}, ensure_ascii=False).encode()


async def _answer(scope: Scope, send: Send, status: int, code: str, field: str | None) -> None:
    body = refusal_body(scope, status, code, field)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))  # the rest of the body is never read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _url_field_with_nul(scope: Scope) -> str | None:
    if "\x00" in scope["path"]:
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        return "query"
    return None


def log_unhandled(exc: BaseException) -> None:
    """Type, SQLSTATE, constraint and frames: enough to find the bug, nothing a request carried."""
    log.error("unhandled_error", **exception_summary(exc))


class RequestLimits:
    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (field := _url_field_with_nul(scope)) is not None:
            await _answer(scope, send, 422, "unsafe_text", field)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await _answer(scope, send, 413, "body_too_large", None)
            return
        limit, received, started = self.max_body_bytes, 0, False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if message["status"] == 413:  # whoever answered it: the rest of the body is never read
                    message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if not started:
                await _answer(scope, send, 413, "body_too_large", None)
        except Exception as exc:  # noqa: BLE001 - the last stop: answered and logged here, never re-raised
            log_unhandled(exc)
            if not started:
                await _answer(scope, send, 500, "internal_error", None)
