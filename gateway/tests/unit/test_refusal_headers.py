"""The gateway's security headers on the answers made below Starlette's middleware: shared.request_limits'
refusals (413 for a declared or streamed body over the limit, 422 for a NUL in the URL) and the 500 of an
exception no handler took. They used to leave without Content-Security-Policy, nosniff nor no-store."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.settings import GatewaySettings

LIMIT = 1000


def _crash() -> None:
    raise RuntimeError("a bug")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(GatewaySettings(insecure_cookies=True, max_body_bytes=LIMIT))
    app.add_api_route("/crash", _crash)  # the gateway has no route that fails on purpose
    with TestClient(app, base_url="http://portail.example", raise_server_exceptions=False) as client:
        yield client


def _streamed(size: int) -> Iterator[bytes]:
    for _ in range(size // 100):
        yield b"x" * 100


def _assert_secured(answer, status: int, code: str) -> None:
    assert answer.status_code == status
    if answer.headers["content-type"].startswith("text/html"):  # a page's path: the bilingual error page
        assert '<html lang="fr"' in answer.text
        assert "Rendez-vous santé" in answer.text
    else:
        assert answer.json()["errors"][0]["code"] == code
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"


def test_a_body_declared_too_large_is_refused_with_the_security_headers(client):
    answer = client.post("/api/appointments", content=b"x" * (LIMIT + 1), headers={"content-type": "application/json"})
    _assert_secured(answer, 413, "body_too_large")
    assert answer.headers["connection"] == "close"


def test_a_body_streamed_too_large_is_refused_with_the_security_headers(client):
    # No Content-Length: the proxy's fast path reads past the limit, and the refusal comes from below the routes.
    answer = client.post(
        "/api/appointments", content=_streamed(LIMIT * 3), headers={"content-type": "application/json"}
    )
    _assert_secured(answer, 413, "body_too_large")


def test_a_nul_in_the_url_is_refused_with_the_security_headers(client):
    _assert_secured(client.get("/api/establishments?q=%00"), 422, "unsafe_text")


def test_a_crash_is_answered_with_the_security_headers(client):
    _assert_secured(client.get("/crash"), 500, "internal_error")
