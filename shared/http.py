"""The FastAPI app every service starts from: JSON errors, correlation ids, health endpoints."""

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from shared.errors import install_error_handlers
from shared.logging import CorrelationIdMiddleware

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


def health_router(ready: ReadinessCheck) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await ready()
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
        )

    return router


def create_service_app(
    title: str,
    lifespan: Callable[[Any], AbstractAsyncContextManager[None]],
    ready: ReadinessCheck,
    routers: Sequence[APIRouter],
) -> FastAPI:
    app = FastAPI(title=title, lifespan=lifespan)
    install_error_handlers(app)
    app.add_middleware(CorrelationIdMiddleware)
    app.include_router(health_router(ready))
    for router in routers:
        app.include_router(router)
    return app
