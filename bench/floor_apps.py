"""The two smallest ASGI apps a hop of the platform can be, for bench/floor.py: no framework, no middleware.

`answer` answers every request with a booking-sized JSON body (what appointments answers); `forward` sends each
request on to FLOOR_UPSTREAM with an aiohttp session built as the gateway's (gateway/proxy.py), and answers with
the upstream's answer. Run by uvicorn with the platform's own options (uvloop, httptools, no access log, no proxy
headers), with the garbage collector settled as the services settle theirs at start.
"""

import os
from typing import Any

import aiohttp

from shared.garbage_collection import settle_garbage_collector

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


async def _lifespan(receive: Any, send: Any, on_shutdown: Any = None) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            settle_garbage_collector()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if on_shutdown is not None:
                await on_shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def answer(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    await _body(receive)
    await send({"type": "http.response.start", "status": 201, "headers": _ANSWER_HEADERS})
    await send({"type": "http.response.body", "body": ANSWER_BODY})


class Forward:
    def __init__(self) -> None:
        self.upstream = os.environ.get("FLOOR_UPSTREAM", "http://127.0.0.1:1")
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self.close)
            return
        if self.session is None:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=64, keepalive_timeout=30, ttl_dns_cache=300),
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("Accept-Encoding", "User-Agent"),
            )
        body = await _body(receive)
        async with self.session.request(
            scope["method"], self.upstream + scope["path"], data=body, headers={"content-type": "application/json"}
        ) as upstream:
            content = await upstream.read()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
            await send({"type": "http.response.start", "status": upstream.status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


forward = Forward()
