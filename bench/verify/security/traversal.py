"""Ways around a route's prefix: every dot-segment encoding against every prefix of the routing table.

Each attempt is sent byte for byte as written (http.client does not normalise the path, unlike browsers and
httpx), anonymous and as a citizen, towards what the prefix must never reach: another service's internals
(/metrics, /openapi.json, /docs), another route's composed door (/my/appointments, where the gateway fills
in the citizen's identity) or a staff-only prefix. An attempt succeeds when the answer is not a refusal
(400, 401, 403, 404, 405) or, for the internals, when the body is what the internal page holds.
"""

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from bench.verify.environment import VerifyEnvironment
from gateway.routes import ROUTES

REFUSED = frozenset({400, 401, 403, 404, 405})
# How ".." and "/" reach a server in disguise: plain, percent-encoded in either case, half-encoded,
# double-encoded, overlong UTF-8, backslashes, and empty or "." segments.
CLIMBS = (
    "..",
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "%2e.",
    "%252e%252e",
    "%c0%ae%c0%ae",
    "..%2f..",
    "..%2F..",
    "..%5c..",
    "..\\..",
    ".",
    "%2e",
    "",
)
# Where a climb would land, and what the body of a successful one holds.
TARGETS = {
    "metrics": "# HELP",
    "openapi.json": '"openapi"',
    "docs": "swagger",
    "my/appointments": "",
    "my/association-requests": "",
    "admin/establishments": "",
}


def _send(base: str, method: str, raw_path: str, headers: dict[str, str], body: bytes | None) -> tuple[int, str]:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.putrequest(method, raw_path, skip_accept_encoding=True)
        for name, value in {**headers, "content-length": str(len(body or b""))}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        answer = connection.getresponse()
        return answer.status, answer.read(4096).decode("utf-8", "replace")
    finally:
        connection.close()


def attempts() -> list[tuple[str, str]]:
    """(method, raw path) for every prefix, climb and target."""
    tried = []
    for route in ROUTES:
        for climb in CLIMBS:
            for target in TARGETS:
                path = f"{route.public_prefix}/{climb}/{target}"
                for method in sorted(route.methods & {"GET", "POST"}):
                    tried.append((method, path))
    # The gateway's own documentation and schema are not served on the portal's origin at all.
    tried += [("GET", "/docs"), ("GET", "/redoc"), ("GET", "/openapi.json"), ("GET", "/api/openapi.json")]
    return tried


def probe(env: VerifyEnvironment) -> dict[str, Any]:
    citizen = env.new_citizen()
    callers = {"anonymous": {}, "citizen": {"authorization": citizen.headers["authorization"]}}
    booking = json.dumps({"slot_id": str(env.clinics[0].catalogue.open_slot)}).encode()
    got_through: list[str] = []
    statuses: dict[int, int] = {}
    sent = 0
    for caller, headers in callers.items():
        for method, path in attempts():
            body = booking if method == "POST" else None
            sent_headers = {**headers, "content-type": "application/json"} if body else headers
            status, text = _send(env.gateway, method, path, sent_headers, body)
            sent += 1
            statuses[status] = statuses.get(status, 0) + 1
            target = next((t for t in TARGETS if path.endswith("/" + t)), "")
            marker = TARGETS.get(target, "")
            if status not in REFUSED or status >= 500 or (marker and marker in text):
                got_through.append(f"{caller}: {method} {path} -> {status}")
    return {
        "passed": sent > 0 and not got_through,
        "attempts": sent,
        "prefixes": len(ROUTES),
        "encodings": list(CLIMBS),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "got_through": got_through[:50],
    }
