"""The proxy fast path over real HTTP: a gateway served by uvicorn, in front of a real (echoing) upstream.

Each answer is compared with what the same gateway answers without the fast path (FastAPI's proxy_api),
so the two cannot drift apart: status, body, headers, and what the upstream service received.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
import pytest
import uvicorn
from aiohttp import web
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from devstack.jwt_keys import generate_es256_keypair
from devstack.testing.fixtures import free_port
from gateway.main import create_app
from gateway.proxy_fast_path import ProxyFastPath
from gateway.session_cookies import SessionCookies
from gateway.settings import GatewaySettings
from services.accounts.sessions.rules import issue_access_token
from shared.tracing import disable_tracing, enable_tracing

PRIVATE, PUBLIC = generate_es256_keypair()
CITIZEN = uuid.uuid4()
CITIZEN_TOKEN = issue_access_token(PRIVATE, CITIZEN, "citizen", 15)
STAFF_TOKEN = issue_access_token(PRIVATE, uuid.uuid4(), "staff", 15, {"est": str(uuid.uuid4()), "role": "clerk"})
# Headers that differ between any two answers, whoever produced them.
VARYING = {"date"}


@dataclass
class Upstream:
    """A real HTTP service that records what reached it and answers with what the query asks."""

    received: list[dict[str, Any]] = field(default_factory=list)
    traceparents: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        if request.path == "/session-revocations":
            # The gateway's own poll of accounts (gateway/session_revocations.py), not a request it proxies.
            return web.json_response([])
        body = await request.read()
        self.traceparents.append(request.headers.get("traceparent", ""))
        seen = {
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "body": body.decode(),
            "headers": {k.lower(): v for k, v in request.headers.items() if k.lower() not in ("host", "traceparent")},
        }
        self.received.append(seen)
        status = int(request.query.get("status", "201" if request.method == "POST" else "200"))
        headers = {"Location": "/somewhere", "X-Internal": "not for clients", "Retry-After": "3"}
        if status == 204:
            return web.Response(status=204, headers=headers)
        return web.Response(body=orjson.dumps(seen), status=status, content_type="application/json", headers=headers)


@dataclass
class Gateways:
    fast: str
    plain: str  # the same gateway with the fast path removed: every request goes through FastAPI
    upstream: Upstream
    http: aiohttp.ClientSession
    reached_fastapi: list[str]  # paths the fast gateway left to FastAPI


class PathRecorder:
    """Placed right behind the fast path: sees only what it lets through to FastAPI."""

    def __init__(self, app: ASGIApp, paths: list[str]) -> None:
        self.app, self.paths = app, paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)


async def serve(app: FastAPI, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task


@pytest.fixture
async def gateways() -> AsyncIterator[Gateways]:
    upstream = Upstream()
    upstream_app = web.Application()
    upstream_app.router.add_route("*", "/{tail:.*}", upstream.handle)
    runner = web.AppRunner(upstream_app, access_log=None)
    await runner.setup()
    upstream_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", upstream_port).start()
    upstream_url = f"http://127.0.0.1:{upstream_port}"
    settings = GatewaySettings(
        accounts_url=upstream_url,
        appointments_url=upstream_url,
        verification_url=f"http://127.0.0.1:{free_port()}",  # nobody listens: the service is down
        jwt_public_key=PUBLIC,
        upstream_timeout_seconds=2.0,
    )
    fast_app, plain_app = create_app(settings), create_app(settings)
    plain_app.user_middleware = [m for m in plain_app.user_middleware if m.cls is not ProxyFastPath]
    assert len(plain_app.user_middleware) == len(fast_app.user_middleware) - 1
    reached_fastapi: list[str] = []
    fast_app.user_middleware.append(Middleware(PathRecorder, paths=reached_fastapi))
    fast_port, plain_port = free_port(), free_port()
    servers = [await serve(fast_app, fast_port), await serve(plain_app, plain_port)]
    try:
        async with aiohttp.ClientSession() as http:
            fast, plain = f"http://127.0.0.1:{fast_port}", f"http://127.0.0.1:{plain_port}"
            yield Gateways(fast, plain, upstream, http, reached_fastapi)
    finally:
        for server, task in servers:
            server.should_exit = True
            await task
        await runner.cleanup()


async def call(
    gateways: Gateways, base: str, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, bytes, dict[str, str], list[dict[str, Any]]]:
    """Status, body, headers (less those that always vary) and what the upstream received."""
    gateways.upstream.received.clear()
    async with gateways.http.request(method, base + path, data=body, headers=headers) as response:
        payload = await response.read()
        kept = {k.lower(): v for k, v in response.headers.items() if k.lower() not in VARYING}
        return response.status, payload, kept, list(gateways.upstream.received)


async def same_answer(
    gateways: Gateways, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, Any, dict[str, str], list[dict[str, Any]]]:
    headers.setdefault("X-Correlation-ID", "same-for-both")  # else each gateway mints its own
    fast = await call(gateways, gateways.fast, method, path, body, **headers)
    plain = await call(gateways, gateways.plain, method, path, body, **headers)
    assert fast == plain
    status, payload, kept, received = fast
    return status, orjson.loads(payload) if payload else None, kept, received


BOOKING = b'{"slot_id": "8b1f0b9e-1111-4444-8888-000000000000"}'


async def test_a_booking_is_forwarded_with_whitelisted_headers_only(gateways: Gateways) -> None:
    status, body, headers, received = await same_answer(
        gateways,
        "POST",
        "/api/appointments?source=portal",
        BOOKING,
        **{
            "Content-Type": "application/json",
            "Accept-Language": "en",
            "Idempotency-Key": "k-1",
            "X-Account-Id": str(uuid.uuid4()),  # forged: only the gateway vouches for identities
            "X-Staff-Id": str(uuid.uuid4()),
            "X-Client-Ip": "10.9.9.9",
            "Cookie": "other=1",
        },
    )
    assert status == 201
    assert len(received) == 1
    seen = received[0]
    assert (seen["method"], seen["path"], seen["query"], seen["body"]) == (
        "POST",
        "/appointments",
        "source=portal",
        BOOKING.decode(),
    )
    assert {"x-account-id", "x-staff-id", "cookie"}.isdisjoint(seen["headers"])
    assert seen["headers"]["x-client-ip"] == "127.0.0.1"
    assert seen["headers"]["idempotency-key"] == "k-1"
    assert seen["headers"]["accept-language"] == "en"
    assert body == seen
    # Only the whitelisted response headers come back.
    assert "x-internal" not in headers
    assert (headers["location"], headers["retry-after"]) == ("/somewhere", "3")
    assert headers["content-length"] == str(len(orjson.dumps(seen)))
    assert gateways.reached_fastapi == []  # answered by the fast path, not by proxy_api


async def test_the_caller_identity_comes_from_the_token_not_from_headers(gateways: Gateways) -> None:
    forged = str(uuid.uuid4())
    status, _, _, received = await same_answer(
        gateways, "GET", "/api/my/history", Authorization=f"Bearer {CITIZEN_TOKEN}", **{"X-Account-Id": forged}
    )
    assert status == 200
    # The service gets the verified token itself (and checks it again), never an identity header.
    assert received[0]["headers"]["authorization"] == f"Bearer {CITIZEN_TOKEN}"
    assert "x-account-id" not in received[0]["headers"]
    # The token may also come as the portal's cookie: it is forwarded the same way, the cookie is not.
    cookie = f"{SessionCookies(secure=True).citizen_access}={CITIZEN_TOKEN}"
    status, _, _, received = await same_answer(gateways, "GET", "/api/me", Cookie=cookie)
    assert (status, received[0]["path"]) == (200, "/me")
    assert received[0]["headers"]["authorization"] == f"Bearer {CITIZEN_TOKEN}"
    assert {"cookie", "x-account-id"}.isdisjoint(received[0]["headers"])


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [(None, 401, "login_required"), (STAFF_TOKEN, 403, "forbidden"), ("garbage", 401, "session_expired")],
)
async def test_citizen_routes_refuse_others_before_reaching_the_service(
    gateways: Gateways, token: str | None, status: int, code: str
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer, body, _, received = await same_answer(gateways, "POST", "/api/my/appointments/x/cancel", b"{}", **headers)
    assert (answer, body["errors"][0]["code"]) == (status, code)
    assert received == []
    assert gateways.reached_fastapi == []


async def test_unknown_api_paths_and_methods_are_404(gateways: Gateways) -> None:
    for method, path in (("GET", "/api/nowhere"), ("DELETE", "/api/appointments"), ("GET", "/api/establishmentsX")):
        status, body, _, received = await same_answer(gateways, method, path)
        assert (status, body["errors"][0]["code"], body["detail"]) == (404, "not_found", "Ressource introuvable.")
        assert received == []
        assert gateways.reached_fastapi.pop() == path  # proxy_api answers it


async def test_a_service_down_is_a_bilingual_503(gateways: Gateways) -> None:
    status, body, _, _ = await same_answer(gateways, "GET", "/api/challenges/abc")
    assert (status, body["errors"][0]["code"]) == (503, "service_unavailable")
    assert body["detail"].startswith("Service momentanément indisponible")
    status, body, _, _ = await same_answer(gateways, "GET", "/api/challenges/abc", **{"Accept-Language": "en"})
    assert body["detail"] == "The verification service is temporarily unavailable, please retry shortly."


async def test_statuses_without_a_body_get_no_content_length(gateways: Gateways) -> None:
    status, body, headers, _ = await same_answer(
        gateways, "DELETE", "/api/me/dependants/1?status=204", Authorization=f"Bearer {CITIZEN_TOKEN}"
    )
    assert (status, body, "content-length" in headers) == (204, None, False)


async def test_routes_the_gateway_composes_are_left_to_fastapi(gateways: Gateways) -> None:
    # POST /api/my/appointments is composed in gateway/api.py: its body is validated there, not proxied.
    status, body, _, received = await same_answer(
        gateways,
        "POST",
        "/api/my/appointments",
        b'{"bogus": 1}',
        Authorization=f"Bearer {CITIZEN_TOKEN}",
        **{"Content-Type": "application/json"},
    )
    assert (status, received) == (422, [])
    assert gateways.reached_fastapi == ["/api/my/appointments"]
    assert {error["field"] for error in body["errors"]} == {"slot_id", "bogus"}


async def test_the_correlation_id_is_forwarded_and_echoed(gateways: Gateways) -> None:
    async with gateways.http.post(
        gateways.fast + "/api/appointments", data=BOOKING, headers={"X-Correlation-ID": "booking-42"}
    ) as response:
        assert (response.status, response.headers["x-correlation-id"]) == (201, "booking-42")
    assert gateways.upstream.received[-1]["headers"]["x-correlation-id"] == "booking-42"
    async with gateways.http.post(gateways.fast + "/api/appointments", data=BOOKING) as response:
        minted = response.headers["x-correlation-id"]
    assert minted
    assert gateways.upstream.received[-1]["headers"]["x-correlation-id"] == minted


def requests_counted(route: str, method: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("clinic_http_requests_total", labels) or 0.0


async def test_metrics_label_requests_by_routing_table_prefix_never_the_raw_path(gateways: Gateways) -> None:
    item = f"/api/establishments/{uuid.uuid4()}"
    before = (
        requests_counted("/api/establishments/{path}", "GET", "200"),
        requests_counted("/api/appointments", "POST", "201"),
    )
    async with gateways.http.get(gateways.fast + item) as response:
        assert response.status == 200
    async with gateways.http.post(gateways.fast + "/api/appointments", data=BOOKING) as response:
        assert response.status == 201
    after = (
        requests_counted("/api/establishments/{path}", "GET", "200"),
        requests_counted("/api/appointments", "POST", "201"),
    )
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    assert requests_counted(item, "GET", "200") == 0


async def test_the_request_span_is_named_by_route_and_parents_the_upstream_call(gateways: Gateways) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    enable_tracing(provider)
    try:
        async with gateways.http.post(gateways.fast + "/api/appointments", data=BOOKING) as response:
            assert response.status == 201
    finally:
        disable_tracing()
    (span,) = exporter.get_finished_spans()
    assert span.name == "POST /api/appointments"
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == 201
    assert f"{span.context.trace_id:032x}-{span.context.span_id:016x}" in gateways.upstream.traceparents[-1]
