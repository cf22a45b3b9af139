"""Prometheus series exposed on /metrics by every service and the gateway, on a port of their own.

Every label takes values from a small, fixed set (route templates, routing keys, channels,
outcome codes), never raw paths, ids or addresses: each distinct label value is a series that
Prometheus keeps, so a raw path would grow without bound. Counters are plain in-process
increments (nanoseconds, no I/O): the booking hot path pays nothing else. Outbox backlog and
DLQ depth are read when Prometheus scrapes, cached a few seconds.
"""

import asyncio
import contextlib
import math
import os
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import structlog
import uvicorn
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

log = structlog.get_logger(__name__)

HTTP_REQUESTS = Counter(
    "clinic_http_requests", "HTTP requests answered, by route template and status.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "clinic_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["method", "route"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_PUBLISHED = Counter(
    "clinic_events_published", "Events the outbox relay had confirmed by the broker.", ["routing_key"]
)
EVENTS_CONSUMED = Counter(
    "clinic_events_consumed", "Events handled by this service's consumer (applied, or a duplicate ignored).",
    ["routing_key", "outcome"],
)  # fmt: skip
EVENTS_FAILED = Counter(
    "clinic_events_failed",
    "Events that failed: refused by the broker on publish, a handler error (redelivered), or rejected to the DLQ.",
    ["routing_key", "stage"],
)
# `service` names the outbox's owner whatever the scrape's `job` is (with Kubernetes pod discovery every pod
# shares one job): the alert on the oldest event's age (deploy/k8s/base/alerts.yaml) says which service.
OUTBOX_BACKLOG = Gauge(
    "clinic_outbox_backlog", "Events written to the outbox and not yet published.", ["service"],
    multiprocess_mode="livemostrecent",
)  # fmt: skip
OUTBOX_OLDEST_AGE = Gauge(
    "clinic_outbox_oldest_unsent_age_seconds",
    "Age of the oldest unpublished outbox event (0 when none is waiting).",
    ["service"],
    multiprocess_mode="livemostrecent",
)
DLQ_DEPTH = Gauge(
    "clinic_dlq_messages", "Messages waiting in this service's dead-letter queue.", ["queue"],
    multiprocess_mode="livemostrecent",
)  # fmt: skip
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"

RouteLabel = Callable[[dict[str, Any]], str]


def route_template(scope: dict[str, Any]) -> str:
    """The matched route's template (`/appointments/{appointment_id}`), set by Starlette's router."""
    return getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE


class HttpMetricsMiddleware:
    """Pure ASGI middleware: request count and latency per method, route template and status."""

    def __init__(self, app: Any, route_label: RouteLabel = route_template) -> None:
        self.app = app
        self._route_label = route_label
        # labels() validates and locks on every call; the label sets are few and fixed, so their
        # children are looked up once and kept (this runs on every booking).
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            route = self._route_label(scope)
            key = (method, route, status)
            children = self._children.get(key)
            if children is None:
                children = HTTP_REQUESTS.labels(method, route, str(status)), HTTP_LATENCY.labels(method, route)
                self._children[key] = children
            children[0].inc()
            children[1].observe(time.perf_counter() - started)


class BacklogSource(Protocol):
    async def backlog(self) -> tuple[int, float | None]: ...


class DeadLetterSource(Protocol):
    dlq_name: str

    async def dlq_depth(self) -> int | None: ...


class ScrapeTimeGauges:
    """Outbox backlog and DLQ depth, read at scrape time.

    Cached for `ttl` seconds and refreshed by one caller at a time, so frequent or concurrent
    scrapes cost at most one indexed count and one passive queue declare per interval. The outbox's
    series carry `service`, the outbox's owner.
    """

    def __init__(
        self, outbox: BacklogSource | None, dead_letters: DeadLetterSource | None, ttl: float = 5.0, service: str = ""
    ) -> None:
        self._outbox = outbox
        self._service = service
        self._dead_letters = dead_letters
        self._ttl = ttl
        self._refreshed_at = -math.inf
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._refreshed_at < self._ttl:
                return
            await asyncio.gather(self._read_outbox(), self._read_dead_letters())
            self._refreshed_at = time.monotonic()

    async def _read_outbox(self) -> None:
        if self._outbox is None:
            return
        count: float
        oldest_age: float | None
        try:
            count, oldest_age = await self._outbox.backlog()
        except Exception as exc:  # noqa: BLE001 - a scrape must answer even with the database away
            log.warning("metrics_outbox_unreadable", error=type(exc).__name__)
            count, oldest_age = math.nan, math.nan  # "unknown" rather than a stale value
        OUTBOX_BACKLOG.labels(self._service).set(count)
        OUTBOX_OLDEST_AGE.labels(self._service).set(oldest_age if oldest_age is not None else 0.0)

    async def _read_dead_letters(self) -> None:
        if self._dead_letters is None:
            return
        depth: float | None
        try:
            depth = await self._dead_letters.dlq_depth()
        except Exception as exc:  # noqa: BLE001 - same: the broker may be away
            log.warning("metrics_dlq_unreadable", error=type(exc).__name__)
            depth = math.nan
        if depth is not None:
            DLQ_DEPTH.labels(self._dead_letters.dlq_name).set(depth)


def exposition() -> bytes:
    """The text exposition; with PROMETHEUS_MULTIPROC_DIR set (several uvicorn workers), all workers' values."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
        return generate_latest(registry)
    return generate_latest(REGISTRY)


class _MetricsServer(uvicorn.Server):
    """Uvicorn serving the metrics app beside the API's server, in its event loop: the API's server owns the
    process's signals (SIGTERM drains it), so this one installs no handler of its own."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # uvicorn's workers each bind it
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


@asynccontextmanager
async def metrics_endpoint(host: str, port: int | None, gauges: ScrapeTimeGauges) -> AsyncIterator[None]:
    """GET /metrics on a port of its own, never the API's: NetworkPolicies then let the monitoring system reach
    this port and only the gateway the API's, and no route of the API can lead to the metrics.

    Served in the app's own event loop (the scrape-time gauges read the app's database and broker), by the
    uvicorn and Starlette the process already runs on (an aiohttp server here cost each service about 10 MB
    of memory). With several uvicorn workers each binds the port with SO_REUSEPORT and any of them answers for
    all (the multiprocess exposition). `port=None` serves nothing.
    """
    if port is None:
        yield
        return

    async def metrics(_: Request) -> Response:
        await gauges.refresh()
        return Response(exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = Starlette(routes=[Route("/metrics", metrics)])
    # A scrape in flight at shutdown gets a moment: the service's own drain (shutdown_grace_seconds) comes next
    # and must keep its budget.
    config = uvicorn.Config(app, lifespan="off", access_log=False, log_config=None, timeout_graceful_shutdown=2)
    server = _MetricsServer(config)
    serving = asyncio.get_running_loop().create_task(server.serve(sockets=[_listening_socket(host, port)]))
    try:
        while not server.started:
            if serving.done():
                serving.result()  # raises why it could not start
                raise RuntimeError("the metrics server stopped before it started")
            await asyncio.sleep(0.01)
        log.info("metrics_listening", port=port)
        yield
    finally:
        server.should_exit = True
        await serving
