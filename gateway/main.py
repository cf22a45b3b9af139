"""The gateway's one wiring point: routing table, shared upstream session, portal and admin pages."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware import Middleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gateway import (
    account_pages,
    admin_pages,
    api,
    association_request_pages,
    audit_pages,
    caller_pages,
    clinic_rules_pages,
    console_sign_in,
    data_export_pages,
    error_pages,
    help_pages,
    operator_pages,
    portal,
    record_access_pages,
    site_pages,
    staff_pages,
    waitlist_console,
    waitlist_pages,
)
from gateway.auth import TokenVerifier
from gateway.canonical_path import CanonicalPath
from gateway.csrf import CsrfGuard
from gateway.error_pages import HeadAsGet, HtmlErrorPages
from gateway.page_sessions import RefreshedSessionCookies
from gateway.proxy import Proxy
from gateway.proxy_fast_path import ProxyFastPath
from gateway.routes import resolve
from gateway.security_headers import SecurityHeaders
from gateway.session_cookies import SESSION_COOKIES, SessionCookies
from gateway.session_revocations import RevocationFeed, SessionRevocations
from gateway.settings import GatewaySettings
from gateway.waiting_room import console as waiting_room_console
from gateway.waiting_room.gate import WaitingRoomGate
from gateway.waiting_room.room import WaitingRoom, open_pool
from gateway.waiting_room.rules import Budget, RateBounds
from gateway.web import STATIC_DIR
from shared.db import asyncpg_dsn
from shared.garbage_collection import settle_garbage_collector
from shared.http import create_service_app
from shared.logging import configure_logging
from shared.metrics import ScrapeTimeGauges, metrics_endpoint, route_template
from shared.tracing import configure_tracing


def public_route_label(scope: dict[str, Any]) -> str:
    """Proxied API calls are labelled by their routing-table prefix, not the catch-all route's template."""
    template = route_template(scope)
    if template == "/api/{path:path}":
        match = resolve(scope["path"], scope["method"])
        if match is not None:
            prefix = match[0].public_prefix
            return prefix if scope["path"] == prefix else prefix + "/{path}"
    return template


def waiting_room(settings: GatewaySettings) -> WaitingRoom:
    return WaitingRoom(
        None,
        settings.secret_key.get_secret_value().encode(),
        opened_by_setting=settings.waiting_room_open,
        budget=Budget(settings.waiting_room_max_in_flight, settings.waiting_room_latency_budget_seconds),
        admit_per_second=settings.waiting_room_admit_per_second,
        admit_bounds=RateBounds(settings.waiting_room_min_admit_per_second, settings.waiting_room_max_admit_per_second),
        refresh_seconds=settings.waiting_room_refresh_seconds,
        ticket_seconds=settings.waiting_room_ticket_seconds,
        admission_seconds=settings.waiting_room_admission_seconds,
        admission_grace_seconds=settings.waiting_room_admission_grace_seconds,
        admission_max_requests=settings.waiting_room_admission_max_requests,
        page_refresh_seconds=settings.waiting_room_page_refresh_seconds,
    )


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_logging("gateway", settings.log_level)
    configure_tracing("gateway", settings.tracing_exporter, settings.tracing_otlp_endpoint)
    proxy = Proxy(settings.upstreams(), settings.upstream_timeout_seconds, settings.upstream_connections)
    revocations = SessionRevocations(settings.revocation_memory_seconds)
    feed = RevocationFeed(
        revocations, settings.amqp_url, settings.bus_namespace, proxy, settings.revocation_memory_seconds
    )

    room = waiting_room(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await proxy.start()
        # In the background: pages and the API answer while the broker or accounts are away (readyz says so).
        following = asyncio.get_running_loop().create_task(feed.run())
        if settings.database_url:
            room.pool = await open_pool(asyncpg_dsn(settings.database_url))
        waiting = asyncio.get_running_loop().create_task(room.follow()) if room.enabled else None
        settle_garbage_collector()
        try:
            # No outbox nor queue here: the gauges read at scrape time have no source.
            async with metrics_endpoint(settings.metrics_host, settings.metrics_port, ScrapeTimeGauges(None, None)):
                yield
        finally:
            if waiting is not None:
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiting
            await room.close()
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following
            await feed.close()
            await proxy.close()

    async def ready() -> dict[str, bool]:
        checks = {service: await proxy.alive(service) for service in settings.upstreams()}
        return checks | {"session_revocations": revocations.loaded}

    app = create_service_app(
        "Gateway",
        lifespan,
        ready,
        [
            api.router,
            data_export_pages.router,
            portal.router,
            waitlist_pages.router,
            association_request_pages.citizen_router,
            association_request_pages.staff_router,
            audit_pages.router,
            account_pages.router,
            record_access_pages.router,
            caller_pages.router,
            clinic_rules_pages.router,
            waitlist_console.router,
            console_sign_in.router,
            staff_pages.router,
            operator_pages.router,
            waiting_room_console.router,
            admin_pages.router,
            help_pages.router,
            site_pages.router,
        ],
        route_label=public_route_label,
        max_body_bytes=settings.max_body_bytes,
        api_docs=False,
    )
    app.state.proxy = proxy
    app.state.cookies = cookies = SessionCookies(settings.secure_cookies)
    app.state.verifier = TokenVerifier(settings.jwt_public_key, revocations, cookies.citizen_access)
    app.state.settings = settings
    app.state.waiting_room = room
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    error_pages.install(app)
    # Appended, so innermost (add_middleware would make it outermost): the shared tracing, metrics and
    # correlation-id middleware still wrap the proxied requests it answers without FastAPI's routing.
    app.user_middleware.append(Middleware(ProxyFastPath))
    app.add_middleware(RefreshedSessionCookies, cookies=cookies)
    app.add_middleware(HeadAsGet)
    # add_middleware makes each the outermost so far: no path reaches anything unless it is canonical; then
    # no forged state change reaches a route.
    app.add_middleware(
        CsrfGuard, secure=settings.secure_cookies, session_cookies=SESSION_COOKIES, trusted=settings.public_origins
    )
    # Inside the canonical path (a guarded route has one spelling), outside CSRF: a queued visitor's form
    # post is answered with the waiting page before anything reads it.
    app.add_middleware(WaitingRoomGate, room=room, secure=settings.secure_cookies)
    app.add_middleware(CanonicalPath)
    # Security headers on every answer: outside even the request limits, whose refusals (413, 422) and 500s
    # are answered outside Starlette's middleware.
    # Every page's refusal, whichever layer answered it (the request limits included), as a full page.
    app.add_outermost_middleware(HtmlErrorPages)
    app.add_outermost_middleware(SecurityHeaders, https=settings.secure_cookies)
    if settings.trusted_proxy_list():
        # Uvicorn runs with --no-proxy-headers (it would trust 127.0.0.1, i.e. any local client, by default):
        # the client address follows X-Forwarded-For only from the proxies configured here. Outermost, so
        # everything below, the login limits' address included, sees the client rather than the proxy.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list())
    return app
