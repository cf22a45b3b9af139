"""The client address the gateway passes on (X-Client-IP, which the login limits count tries by), over real
HTTP: X-Forwarded-For is believed only from a configured trusted proxy (GATEWAY_TRUSTED_PROXIES).

Issue 18, finding 3: uvicorn trusted X-Forwarded-For from 127.0.0.1 by default, so any local client, or any
client behind a local proxy, chose the address its tries were counted against. The gateway runs with
--no-proxy-headers, as the dev supervisor, the Dockerfiles and the manifests start it.
"""

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
import uvicorn
from aiohttp import web
from pydantic import ValidationError

from devstack.jwt_keys import generate_es256_keypair
from devstack.testing.fixtures import free_port
from gateway.main import create_app
from gateway.settings import GatewaySettings

_, PUBLIC = generate_es256_keypair()
LOGIN = {"identifier": "lea@example.org", "password": "pas le bon mot de passe"}


async def _serve(app, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", proxy_headers=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task


@pytest.fixture
async def gateways() -> AsyncIterator[tuple[str, str, list[str]]]:
    """A gateway trusting no proxy, one trusting 127.0.0.1 (where this test's requests come from), and the
    client addresses the upstream accounts service received."""
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        if request.path == "/session-revocations":  # the gateway's own start-up call (session_revocations.py)
            return web.json_response([])
        seen.append(request.headers.get("x-client-ip", ""))
        return web.json_response({"detail": "no", "errors": []}, status=401)

    upstream = web.Application()
    upstream.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(upstream, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = {"accounts_url": f"http://127.0.0.1:{port}", "jwt_public_key": PUBLIC}
    untrusting = create_app(GatewaySettings(**base))
    trusting = create_app(GatewaySettings(**base, trusted_proxies="127.0.0.1, 10.0.0.0/8"))
    ports = free_port(), free_port()
    servers = [await _serve(untrusting, ports[0]), await _serve(trusting, ports[1])]
    try:
        yield f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}", seen
    finally:
        for server, task in servers:
            server.should_exit = True
            await task
        await runner.cleanup()


async def _client_address(base: str, seen: list[str], path: str, **headers: str) -> str:
    seen.clear()
    async with aiohttp.ClientSession() as http, http.post(base + path, json=LOGIN, headers=headers) as response:
        assert response.status == 401
    [address] = seen
    return address


@pytest.mark.parametrize("path", ["/api/sessions", "/api/staff/sessions"])
async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(gateways, path):
    untrusting, _, seen = gateways
    for forged in ("203.0.113.9", "203.0.113.9, 198.51.100.4", "not an address"):
        assert await _client_address(untrusting, seen, path, **{"X-Forwarded-For": forged}) == "127.0.0.1"
    assert await _client_address(untrusting, seen, path) == "127.0.0.1"


async def test_behind_a_trusted_proxy_the_client_is_the_rightmost_untrusted_address(gateways):
    _, trusting, seen = gateways
    path = "/api/sessions"
    assert await _client_address(trusting, seen, path, **{"X-Forwarded-For": "203.0.113.9"}) == "203.0.113.9"
    # What the client wrote itself comes first; each proxy appends the address it saw: only those count.
    chain = "198.51.100.4, 203.0.113.9, 10.1.2.3"
    assert await _client_address(trusting, seen, path, **{"X-Forwarded-For": chain}) == "203.0.113.9"
    assert await _client_address(trusting, seen, path) == "127.0.0.1"


@pytest.mark.parametrize("value", ["*", "proxy.example", "10.0.0.0/33"])
def test_a_trusted_proxy_must_be_an_address_or_a_network(value):
    with pytest.raises(ValidationError, match="GATEWAY_TRUSTED_PROXIES"):
        GatewaySettings(trusted_proxies=value)
