"""Refusals without the portal's security headers: what the gateway answers before, or instead of, its routes.

The request limits (a body over the limit, declared or streamed: 413; a NUL in the URL: 422) and the 500 of an
unhandled exception are answered below Starlette's middleware, where the security headers once were not: such
an answer left with no Content-Security-Policy, no nosniff and no `Cache-Control: no-store`. Each attempt is
sent over a raw socket (byte for byte, read as soon as an answer comes) and succeeds when its answer lacks any of
the headers every gateway answer must carry. Ordinary refusals (401, 404, a service's 422) are tried alongside.
"""

import select
import socket
from typing import Any
from urllib.parse import urlsplit

from bench.verify.environment import VerifyEnvironment

OVERSIZED = 20 * 1024 * 1024
# What every answer but a static file must carry (gateway/security_headers.py), and what it must hold.
REQUIRED = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def _answer_head(base: str, request_head: str, body: str) -> tuple[int, dict[str, str]]:
    """(status, headers) of the answer; `body` is "" (none), "declared" or "streamed" (20 MB, refused early)."""
    parts = urlsplit(base)
    framing = {"": "Content-Length: 2", "declared": f"Content-Length: {OVERSIZED}"}.get(
        body, "Transfer-Encoding: chunked"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        conn.sendall(f"{request_head}Host: {parts.netloc}\r\n{framing}\r\n\r\n".encode())
        if not body:
            conn.sendall(b"{}")
        chunk, sent = b"x" * 65536, 0
        while body and sent < OVERSIZED and not select.select([conn], [], [], 0)[0]:
            try:
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if body == "streamed" else chunk)
            except OSError:
                break  # closed by the server: its answer is waiting
            sent += len(chunk)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer and (received := conn.recv(65536)):
                answer += received
        except OSError:
            pass
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    fields = head[0].split(" ", 2)
    status = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def _missing(headers: dict[str, str]) -> list[str]:
    return [name for name, needed in REQUIRED.items() if needed not in headers.get(name, "")]


def probe(env: VerifyEnvironment) -> dict[str, Any]:
    json_post = "Content-Type: application/json\r\n"
    form_post = "Content-Type: application/x-www-form-urlencoded\r\n"
    attempts = {
        "declared 20 MB booking": ("POST /api/appointments HTTP/1.1\r\n" + json_post, "declared"),
        "streamed 20 MB booking": ("POST /api/appointments HTTP/1.1\r\n" + json_post, "streamed"),
        "declared 20 MB registration": ("POST /api/registrations HTTP/1.1\r\n" + json_post, "declared"),
        "streamed 20 MB login form (403 of the CSRF guard, or 413)": (
            "POST /account/login HTTP/1.1\r\n" + form_post,
            "streamed",
        ),
        "NUL in the query": ("GET /api/establishments?q=%00 HTTP/1.1\r\n", ""),
        "NUL in the path": ("GET /account/%00 HTTP/1.1\r\n", ""),
        "unknown API path": ("GET /api/nothing-here HTTP/1.1\r\n", ""),
        "service's own 422": ("POST /api/appointments HTTP/1.1\r\n" + json_post, ""),
        "anonymous /api/me": ("GET /api/me HTTP/1.1\r\n", ""),
    }
    answers: dict[str, Any] = {}
    got_through: list[str] = []
    for label, (head, body) in attempts.items():
        status, headers = _answer_head(env.gateway, head, body)
        missing = _missing(headers)
        answers[label] = {"status": status, "missing": missing}
        if status == 0 or missing:
            got_through.append(f"{label}: {status or 'no answer'} without {', '.join(missing) or 'an answer'}")
    return {
        "passed": not got_through,
        "tried": [
            "20 MB bodies declared and streamed (413 of the request limits)",
            "NUL in the URL (422 of the request limits)",
            "ordinary refusals: 401, 404, a service's 422",
        ],
        "required_headers": REQUIRED,
        "answers": answers,
        "without_security_headers": got_through,
    }
