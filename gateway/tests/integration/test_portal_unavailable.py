"""The portal's pages when the appointments service does not answer: a full bilingual 503 page (gateway/
error_pages.py), never a bare fragment, a JSON body or a 500, whatever the page and however it was asked."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from devstack.testing.fixtures import free_port
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway.tests.integration.test_client_address import PUBLIC, _serve


@pytest.fixture
async def gateway() -> AsyncIterator[str]:
    async def accounts(request: web.Request) -> web.Response:  # only the gateway's start-up call
        return web.json_response([] if request.path == "/session-revocations" else {"errors": []})

    upstream = web.Application()
    upstream.router.add_route("*", "/{tail:.*}", accounts)
    runner = web.AppRunner(upstream, access_log=None)
    await runner.setup()
    accounts_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", accounts_port).start()
    settings = GatewaySettings(
        accounts_url=f"http://127.0.0.1:{accounts_port}",
        appointments_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        jwt_public_key=PUBLIC,
    )
    port = free_port()
    server, task = await _serve(create_app(settings), port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        await runner.cleanup()


PAGES = [
    "/?postal_code=H1T2H1",
    f"/book/{uuid.uuid4()}",
    f"/appointments/{uuid.uuid4()}/cancel?token=abc",
    f"/appointments/{uuid.uuid4()}/confirm?token=abc",
]


@pytest.mark.parametrize("path", PAGES)
async def test_a_page_whose_service_is_down_is_a_full_503_page(gateway: str, path: str):
    async with aiohttp.ClientSession() as http, http.get(gateway + path, headers={"accept-language": "en"}) as answer:
        body = await answer.text()
    assert answer.status == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert '<html lang="en"' in body
    assert "<title>Service temporarily unavailable – Rendez-vous santé</title>" in body
    assert "Service momentanément indisponible" in body  # and the other language below


async def test_a_booking_posted_while_the_service_is_down_is_a_full_503_page(gateway: str):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        async with http.get(gateway + "/") as home:  # the CSRF cookie, as a browser gets it with the page
            name, _, token = home.headers["set-cookie"].split(";")[0].partition("=")
        form = {"csrf_token": token, "slot_id": str(uuid.uuid4()), "service_id": str(uuid.uuid4()), "first_name": "L"}
        headers = {"origin": gateway, "cookie": f"{name}={token}"}
        for extra in ({}, {"hx-request": "true"}):  # a page's post, and htmx's
            async with http.post(gateway + "/book", data=form, headers=headers | extra) as answer:
                body = await answer.text()
            assert answer.status == 503
            assert '<html lang="fr"' in body
            assert "<title>Service momentanément indisponible – Rendez-vous santé</title>" in body
