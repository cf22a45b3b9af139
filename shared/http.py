"""The FastAPI app every service starts from: JSON errors, correlation ids, health endpoints, request metrics
and traces. /metrics is not one of its routes: it is served on a port of its own (shared/metrics.py)."""

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from shared.errors import ErrorBody, RefusalTable, install_error_handlers
from shared.logging import CorrelationIdMiddleware
from shared.metrics import HttpMetricsMiddleware, RouteLabel, route_template
from shared.request_limits import DEFAULT_MAX_BODY_BYTES, BodyTooLarge, RequestLimits, refusal_body
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


class ServiceApp(FastAPI):
    """A FastAPI app wrapped, outside even Starlette's error middleware, in shared.request_limits: every
    middleware added to it, at any time, reads bodies through the limit, and no crash is logged whole.

    Only what `add_outermost_middleware` adds wraps the limits in turn: what must see every answer, the
    limits' own refusals (413, 422, 500) and Starlette's 500 included, e.g. the gateway's security headers.
    """

    max_body_bytes = DEFAULT_MAX_BODY_BYTES

    def __init__(self, **options: Any) -> None:
        self.outermost_middleware: list[Middleware] = []
        super().__init__(**options)

    def add_outermost_middleware(self, middleware_class: Callable[..., ASGIApp], **options: Any) -> None:
        """Wraps everything, the request limits included; each one added wraps those added before."""
        if self.middleware_stack is not None:
            raise RuntimeError("Cannot add middleware after an application has started")
        self.outermost_middleware.insert(0, Middleware(middleware_class, **options))

    def build_middleware_stack(self) -> ASGIApp:
        app: ASGIApp = RequestLimits(super().build_middleware_stack(), self.max_body_bytes)
        for middleware_class, args, options in reversed(self.outermost_middleware):
            app = middleware_class(app, *args, **options)
        return app


async def _on_unhandled(request: Request, exc: Exception) -> Response:
    """What Starlette's error middleware sends for an exception no handler took: the shared FR/EN body.
    A body over the limit read by a middleware (no route's handler saw it) is a 413, not a crash."""
    status, code = (413, "body_too_large") if isinstance(exc, BodyTooLarge) else (500, "internal_error")
    return Response(refusal_body(request.scope, status, code, None), status, media_type="application/json")


def create_service_app(
    title: str,
    lifespan: Callable[[Any], AbstractAsyncContextManager[None]],
    ready: ReadinessCheck,
    routers: Sequence[APIRouter],
    route_label: RouteLabel = route_template,
    api_docs: bool = True,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    refusals: RefusalTable | None = None,
) -> ServiceApp:
    """`route_label` names a request's route in metrics and spans (a template, never the raw path).

    `api_docs=False` serves no /openapi.json, /docs nor /redoc: the gateway's origin is the portal's, and
    FastAPI's documentation pages load scripts from a CDN that the portal's policy does not trust.
    `max_body_bytes`: larger request bodies are refused with 413 (shared/request_limits.py).
    `refusals`: the service's table wording each business refusal (`shared.errors.Refused`) for HTTP.
    """
    # FastAPI would document its own 422 shape; ours (shared/errors.py) is what clients really get.
    refusal = {"model": ErrorBody, "description": "Refused: which field and why, in French and English"}
    # Traces and request metrics are this app's own middlewares below. FastAPI's native OpenTelemetry would
    # look up three global providers on every request (2.8% of the gateway's CPU per proxied request) and,
    # were a global provider ever set, open a second span for each.
    no_native_telemetry = {"tracing": False, "metrics": False, "logs": False}
    docs = {} if api_docs else {"openapi_url": None, "docs_url": None, "redoc_url": None}
    app = ServiceApp(title=title, lifespan=lifespan, responses={422: refusal}, telemetry=no_native_telemetry, **docs)
    app.max_body_bytes = max_body_bytes
    install_error_handlers(app, refusals)
    app.add_exception_handler(Exception, _on_unhandled)
    app.add_middleware(CorrelationIdMiddleware)
    # Added last, so outermost: the span and the timing cover everything below, error handling included.
    app.add_middleware(HttpMetricsMiddleware, route_label=route_label)
    app.add_middleware(TracingMiddleware, route_label=route_label)
    app.include_router(health_router(ready))
    for router in routers:
        app.include_router(router)
    return app
