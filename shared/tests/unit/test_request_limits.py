"""shared.request_limits around an app built by create_service_app, as the gateway and every service are:
oversized bodies (declared or streamed, read by a route or by a pure-ASGI fast path), NUL in the URL, and a
crash whose exception carries a failed statement's parameters."""

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import APIRouter, Request
from sqlalchemy.exc import DBAPIError
from starlette.middleware import Middleware
from starlette.types import Receive, Scope, Send

from devstack.testing.apps import app_without_lifespan
from shared.asgi_body import read_body
from shared.logging import configure_logging

LIMIT = 1000
SECRET_PARAMETERS = ("alice@example.com", "+15145550123", "TEST54122816", "$argon2id$v=19$m=65536")


class _FastPath:
    """Like gateway/proxy_fast_path.py and services/appointments/booking/api.py: innermost, reads the
    body itself, outside FastAPI's routing and handlers."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/fast":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})


def _app() -> Any:
    router = APIRouter()

    @router.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    @router.get("/search")
    async def search(q: str = "") -> dict[str, str]:
        return {"q": q}

    @router.post("/insert")
    async def insert() -> None:
        # What SQLAlchemy raises for a failed INSERT, parameters and the driver's DETAIL in its message.
        orig = Exception(f"duplicate key value\nDETAIL:  Key (email)=({SECRET_PARAMETERS[0]}) already exists.")
        orig.sqlstate = "23505"  # type: ignore[attr-defined]
        statement = "INSERT INTO accounts (email, phone, nam, hash) VALUES ($1, $2, $3, $4)"
        raise DBAPIError(statement, SECRET_PARAMETERS, orig)

    app = app_without_lifespan("Limits", [router], max_body_bytes=LIMIT)
    app.user_middleware.append(Middleware(_FastPath))
    return app


@pytest.fixture
def client() -> httpx.AsyncClient:
    configure_logging("limits-test")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(), raise_app_exceptions=False), base_url="http://t")


def _refusal(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errors"][0]["code"] == code
    assert body["errors"][0]["message"]["fr"]
    assert body["errors"][0]["message"]["en"]
    assert body["detail"] == body["errors"][0]["message"]["fr"]


async def _chunks(total: int, size: int = 100) -> AsyncIterator[bytes]:
    for _ in range(total // size):
        yield b"x" * size


async def test_a_body_within_the_limit_is_read(client: httpx.AsyncClient) -> None:
    assert (await client.post("/echo", content=b"x" * LIMIT)).json() == {"length": LIMIT}
    assert (await client.post("/fast", content=b"x" * LIMIT)).text == str(LIMIT)


@pytest.mark.parametrize("path", ["/echo", "/fast", "/unknown"])
async def test_a_declared_length_over_the_limit_is_refused_before_reading(client: httpx.AsyncClient, path: str):
    _refusal(await client.post(path, content=b"x" * (LIMIT + 1)), 413, "body_too_large")


@pytest.mark.parametrize("path", ["/echo", "/fast"])
async def test_a_streamed_body_passing_the_limit_is_refused(client: httpx.AsyncClient, path: str) -> None:
    # No Content-Length (chunked): counted as it arrives, by the route's reader and by a fast path alike.
    response = await client.post(path, content=_chunks(50 * LIMIT))
    _refusal(response, 413, "body_too_large")


async def test_an_english_request_gets_the_english_reason_first(client: httpx.AsyncClient) -> None:
    response = await client.post("/fast", content=_chunks(5 * LIMIT), headers={"accept-language": "en"})
    assert response.status_code == 413
    assert response.json()["detail"] == response.json()["errors"][0]["message"]["en"]


@pytest.mark.parametrize("url", ["/search?q=a%00b", "/search?q=%00", "/sea%00rch"])
async def test_nul_in_the_url_is_a_422(client: httpx.AsyncClient, url: str) -> None:
    _refusal(await client.get(url), 422, "unsafe_text")


async def test_a_crash_answers_500_and_logs_no_statement_parameters(client: httpx.AsyncClient, capsys) -> None:
    response = await client.post("/insert", json={})
    assert response.status_code == 500
    assert response.json()["errors"][0]["code"] == "internal_error"
    logged = capsys.readouterr()
    text = logged.out + logged.err
    for secret in SECRET_PARAMETERS:
        assert secret not in text
    assert "INSERT" not in text
    assert "parameters" not in text
    line = next(json.loads(raw) for raw in logged.out.splitlines() if "unhandled_error" in raw)
    assert (line["error"], line["sqlstate"]) == ("DBAPIError", "23505")


def test_a_logged_exception_carries_no_message_whoever_logs_it(capsys) -> None:
    configure_logging("limits-test")
    orig = Exception(f"invalid input for query argument $1: '{SECRET_PARAMETERS[0]}'")
    failure = DBAPIError("INSERT INTO accounts (email) VALUES ($1)", SECRET_PARAMETERS[:1], orig)
    for log in (structlog.get_logger().exception, logging.getLogger("uvicorn.error").exception):
        try:
            raise failure
        except DBAPIError:
            log("event_failed")
    out = capsys.readouterr().out
    assert out.count("event_failed") == 2
    assert out.count('"error": "DBAPIError"') + out.count('"error":"DBAPIError"') == 2
    for secret in SECRET_PARAMETERS:
        assert secret not in out
    assert "INSERT" not in out
