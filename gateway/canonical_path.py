"""Only canonical paths reach the routing table: no way around a route's prefix.

Uvicorn decodes `%2e%2e` to `..` in the path it hands over, the routing table matches on a prefix, and
the upstream client normalises `/appointments/../my/appointments` to a route the prefix never meant to
reach. Rather than recognise each trick, any path that is not already in its one canonical form is
refused, on the raw bytes the client sent and on the decoded path, before anything resolves it.
"""

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.refusals import refusal
from shared.errors import ApiError

# Encoded dots, slashes, backslashes and NUL, and any control byte: nothing a canonical path needs.
_ENCODED = re.compile(rb"%(2e|2f|5c|00)|[\x00-\x1f\x7f\\]", re.IGNORECASE)

NOT_CANONICAL = ApiError(
    400,
    "path_not_canonical",
    "path",
    "Adresse invalide : elle contient des segments « . » ou « .. », des segments vides "
    "ou des caractères encodés interdits.",
    "Invalid address: it holds '.' or '..' segments, empty segments or forbidden encoded characters.",
)


def is_canonical(raw_path: bytes, path: str) -> bool:
    if not path.startswith("/") or _ENCODED.search(raw_path) or "\\" in path or "\x00" in path:
        return False
    if path == "/":
        return True
    segments = path[1:].split("/")
    return all(segment not in ("", ".", "..") for segment in segments)


class CanonicalPath:
    """Outermost guard of the gateway: refuses (400) a path with dot segments, empty segments or encodings."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path = scope.get("raw_path") or scope["path"].encode()
            if not is_canonical(raw_path, scope["path"]):
                await refusal(scope, NOT_CANONICAL)(scope, receive, send)
                return
        await self.app(scope, receive, send)
