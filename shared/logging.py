"""structlog JSON logging with a correlation id carried in a context variable.

The correlation id enters at the gateway (X-Correlation-ID), follows the request into a
service, is copied into every event envelope it writes, and is re-bound by consumers.
"""

import json
import logging
import sys
import traceback
import uuid
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars

CORRELATION_HEADER = "x-correlation-id"

# Values under these keys never reach a log line, wherever they appear in an event dict.
SENSITIVE_KEYS = frozenset(
    {"nam", "password", "code", "token", "authorization", "cookie", "secret", "cancel_token", "email", "phone"}
)


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key.lower() in SENSITIVE_KEYS:
            event_dict[key] = "[redacted]"
    return event_dict


def exception_summary(exc: BaseException) -> dict[str, Any]:
    """An exception as a log may hold it: its type, PostgreSQL's error code and constraint, and where it was
    raised, never its message. A database error's message carries the failed statement's DETAIL (row
    values), asyncpg's names the value it could not encode, and a message of our own may quote the input."""
    frames = traceback.extract_tb(exc.__traceback__)
    summary: dict[str, Any] = {
        "error": type(exc).__name__,
        "where": [f"{'/'.join(f.filename.rsplit('/', 2)[-2:])}:{f.lineno} {f.name}" for f in frames[-6:]],
    }
    cause: BaseException | None = exc
    while cause is not None:  # SQLAlchemy wraps the driver's error: its code sits on the original
        if sqlstate := getattr(cause, "sqlstate", None):
            summary["sqlstate"] = sqlstate
            summary["constraint"] = getattr(cause, "constraint_name", None)
            break
        cause = getattr(cause, "orig", None) or cause.__cause__
    return summary


def _exception_without_values(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """In place of structlog's format_exc_info, which renders the traceback with every message in it."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info:
        if exc_info is True:
            exc_info = sys.exc_info()
        exc = exc_info if isinstance(exc_info, BaseException) else exc_info[1]
        if exc is not None:
            event_dict["exception"] = exception_summary(exc)
    return event_dict


class _ValuelessFormatter(logging.Formatter):
    """For the standard library's loggers (uvicorn, asyncio, aio-pika): an exception as exception_summary
    gives it, not its traceback with messages."""

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's own name
        return json.dumps({"exception": exception_summary(ei[1])}) if ei and ei[1] is not None else ""


class _CurrentStdout:
    """Writes to whatever sys.stdout is now (test runners swap it), not the one seen at start-up."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", stream=_CurrentStdout(), level=level.upper(), force=True)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(_ValuelessFormatter("%(message)s"))
    for noisy in ("aiormq", "aio_pika", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            _exception_without_values,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStdout()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def current_correlation_id() -> str | None:
    return get_contextvars().get("correlation_id")


def bind_correlation_id(correlation_id: str | None) -> str:
    correlation_id = correlation_id or new_correlation_id()
    service = get_contextvars().get("service")
    clear_contextvars()
    bind_contextvars(correlation_id=correlation_id, **({"service": service} if service else {}))
    return correlation_id


class CorrelationIdMiddleware:
    """Pure ASGI middleware: binds the incoming correlation id (or a new one) and echoes it back."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-correlation-id":
                incoming = value.decode("latin-1")[:64]
                break
        correlation_id = bind_correlation_id(incoming)
        header = (b"x-correlation-id", correlation_id.encode())

        async def send_with_header(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], header]
            await send(message)

        await self.app(scope, receive, send_with_header)
