"""What the fast path relies on: it knows every /api route FastAPI would prefer to the routing table."""

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute

from gateway import api
from gateway.main import create_app
from gateway.proxy_fast_path import CATCH_ALL, COMPOSED, ENABLED, ProxyFastPath, read_body


def all_routes(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI 0.165 keeps included routers whole
        yield from all_routes(included.routes) if included is not None else (route,)


def test_every_api_route_of_the_app_is_the_catch_all_or_one_the_fast_path_leaves_to_fastapi() -> None:
    api_routes = [r for r in all_routes(create_app().router.routes) if getattr(r, "path", "").startswith("/api")]
    assert {id(route) for route in api_routes} == {id(CATCH_ALL), *(id(route) for route in COMPOSED)}
    assert [route.path for route in COMPOSED] == [
        "/api/my/appointments",
        "/api/my/waitlist",
        "/api/my/association-requests",
        "/api/my/export",
        "/api/export-schema",
    ]
    assert api.router.routes[-1] is CATCH_ALL  # declared last: the composed routes win in FastAPI too


def test_no_body_limit_or_dependency_is_set_where_the_fast_path_would_skip_it() -> None:
    """An app-wide body limit wraps the fast path; a limit or dependency inside FastAPI's routing would not.

    The route's and router's own switch the fast path off (proxy_fast_path.ENABLED); the app's dependencies
    and the inclusion's (create_service_app's include_router) are only visible inside FastAPI: if one is ever
    set, teach the fast path to apply it too.
    """
    assert ENABLED
    app = create_app()
    assert app.router.dependencies == []
    inclusions = [r for r in app.router.routes if getattr(r, "original_router", None) is api.router]
    assert len(inclusions) == 1
    context = inclusions[0].include_context  # type: ignore[attr-defined]
    assert (context.max_body_size, context.dependencies) == (None, [])


def scope(path: str, method: str = "POST") -> dict[str, Any]:
    return {"type": "http", "path": path, "method": method, "headers": []}


@pytest.mark.parametrize(
    ("path", "method", "taken"),
    [
        ("/api/appointments", "POST", True),
        ("/api/my/appointments", "GET", True),  # only POST is composed
        ("/api/my/appointments/abc/cancel", "POST", True),
        ("/api/my/appointments", "POST", False),
        ("/api/my/association-requests", "POST", False),
        ("/api/my/waitlist", "GET", True),
        ("/api/my/waitlist/abc/leave", "POST", True),
        ("/api/my/waitlist", "POST", False),  # composed from the account's booking form
        ("/api/establishments/a?b", "GET", False),  # Request.url would escape the "?"
    ],
)
def test_which_requests_reach_the_catch_all(path: str, method: str, taken: bool) -> None:
    assert ProxyFastPath._routed_to_catch_all(scope(path, method)) is taken


async def test_the_body_is_read_whole_from_every_chunk() -> None:
    messages = iter(
        [
            {"type": "http.request", "body": b'{"a": ', "more_body": True},
            {"type": "http.request", "body": b"1}", "more_body": False},
        ]
    )

    async def receive() -> dict[str, Any]:
        return next(messages)

    assert await read_body(receive) == b'{"a": 1}'


async def test_a_client_gone_before_its_body_is_a_disconnect() -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    with pytest.raises(ClientDisconnect):
        await read_body(receive)
