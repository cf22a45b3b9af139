"""The two smallest ASGI apps a hop of the platform can be, for bench/floor.py: no framework, no middleware.

`answer` answers every request with a booking-sized JSON body (what appointments answers); `forward` sends each
request on to FLOOR_UPSTREAM with aiohttp, as the gateway does, and answers with the upstream's answer.
Run by uvicorn with the platform's own options (uvloop, httptools, no access log).
"""

import os
from typing import Any

import aiohttp

Scope = dict[str, Any]

ANSWER_BODY = (
    b'{"appointment_id":"0190f0a8-6c2b-7c1e-9d4a-1f2e3d4c5b6a","slot_id":"0190f0a8-6c2b-7c1e-9d4a-1f2e3d4c5b6b",'
    b'"starts_at":"2026-12-07T09:15:00-05:00","establishment":"CLSC du Plateau","service":"Vaccination",'
    b'"state":"booked","manage_token":"x0y1z2a3b4c5d6e7f8g9h0i1j2k3l4m5n6o7p8q9r0s1t2u3v4w5","language":"fr"}'
)
_ANSWER_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(ANSWER_BODY)).encode())]


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def answer(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await _body(receive)
    await send({"type": "http.response.start", "status": 201, "headers": _ANSWER_HEADERS})
    await send({"type": "http.response.body", "body": ANSWER_BODY})


class Forward:
    def __init__(self) -> None:
        self.upstream = os.environ.get("FLOOR_UPSTREAM", "http://127.0.0.1:1")
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if self.session is None:
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        body = await _body(receive)
        async with self.session.request(
            scope["method"], self.upstream + scope["path"], data=body, headers={"content-type": "application/json"}
        ) as upstream:
            content = await upstream.read()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
            await send({"type": "http.response.start", "status": upstream.status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


forward = Forward()
