"""A service's app for tests that drive its routes in process: no lifespan (no bus, no workers), always ready."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter

from shared.http import ServiceApp, create_service_app


@asynccontextmanager
async def _no_lifespan(_app: object) -> AsyncIterator[None]:
    yield


async def _ready() -> dict[str, bool]:
    return {}


def app_without_lifespan(title: str, routers: Sequence[APIRouter], **options: Any) -> ServiceApp:
    """create_service_app's app, as a service stacks it, around `routers`; `options` are its keywords."""
    return create_service_app(title, _no_lifespan, _ready, routers, **options)
