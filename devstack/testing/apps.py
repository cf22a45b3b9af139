"""Apps for tests and checks: a service's app without its lifespan, and every route an app answers."""

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from shared.http import ServiceApp, create_service_app


@asynccontextmanager
async def _no_lifespan(_app: object) -> AsyncIterator[None]:
    yield


async def _ready() -> dict[str, bool]:
    return {}


def app_without_lifespan(title: str, routers: Sequence[APIRouter], **options: Any) -> ServiceApp:
    """create_service_app's app, as a service stacks it, around `routers`; `options` are its keywords."""
    return create_service_app(title, _no_lifespan, _ready, routers, **options)


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute of `routes` (an app's `.routes`), also those of included routers, which FastAPI 0.165
    keeps whole as one entry each."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)
