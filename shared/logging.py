"""structlog JSON logging with a correlation id carried in a context variable.

The correlation id enters at the gateway (X-Correlation-ID), follows the request into a
service, is copied into every event envelope it writes, and is re-bound by consumers.
"""

import logging
import sys
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


class _CurrentStdout:
    """Writes to whatever sys.stdout is now (test runners swap it), not the one seen at start-up."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", stream=_CurrentStdout(), level=level.upper(), force=True)  # type: ignore[arg-type]
    for noisy in ("aiormq", "aio_pika", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
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

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
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

        async def send_with_header(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], header]
            await send(message)

        await self.app(scope, receive, send_with_header)
