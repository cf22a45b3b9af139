"""The FastAPI app every service starts from: JSON errors, correlation ids, health endpoints, /metrics,
request metrics and traces."""

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from shared.errors import ErrorBody, install_error_handlers
from shared.logging import CorrelationIdMiddleware
from shared.metrics import HttpMetricsMiddleware, RouteLabel, metrics_router, route_template
from shared.tracing import TracingMiddleware

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
    route_label: RouteLabel = route_template,
    api_docs: bool = True,
) -> FastAPI:
    """`route_label` names a request's route in metrics and spans (a template, never the raw path).

    `api_docs=False` serves no /openapi.json, /docs nor /redoc: the gateway's origin is the portal's, and
    FastAPI's documentation pages load scripts from a CDN that the portal's policy does not trust.
    """
    # FastAPI would document its own 422 shape; ours (shared/errors.py) is what clients really get.
    refusal = {"model": ErrorBody, "description": "Refused: which field and why, in French and English"}
    # Traces and request metrics are this app's own middlewares below. FastAPI's native OpenTelemetry would
    # look up three global providers on every request (2.8% of the gateway's CPU per proxied request) and,
    # were a global provider ever set, open a second span for each.
    no_native_telemetry = {"tracing": False, "metrics": False, "logs": False}
    docs = {} if api_docs else {"openapi_url": None, "docs_url": None, "redoc_url": None}
    app = FastAPI(title=title, lifespan=lifespan, responses={422: refusal}, telemetry=no_native_telemetry, **docs)
    install_error_handlers(app)
    app.add_middleware(CorrelationIdMiddleware)
    # Added last, so outermost: the span and the timing cover everything below, error handling included.
    app.add_middleware(HttpMetricsMiddleware, route_label=route_label)
    app.add_middleware(TracingMiddleware, route_label=route_label)
    app.include_router(health_router(ready))
    app.include_router(metrics_router())
    for router in routers:
        app.include_router(router)
    return app
