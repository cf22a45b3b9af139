"""The routing table's proxied requests, answered by pure ASGI: what `proxy_api` does, without FastAPI.

Per booking, FastAPI's router, dependency solving and Request/Response objects cost the gateway more CPU
than the forwarding itself. This is the app's innermost middleware, so tracing, request metrics, correlation
ids, error pages for crashes (and a body size limit, if the app sets one) wrap it exactly as they wrap the
routes. It takes only what `proxy_api` would take and the routing table resolves; everything else (routes
the gateway composes itself, unknown /api paths that proxy_api answers 404, pages) falls through to FastAPI.
"""

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import api
from gateway.auth import require
from gateway.proxy import Proxy, UpstreamUnavailable, forwarded_headers
from gateway.routes import Route, resolve
from shared.asgi_body import read_body
from shared.errors import ApiError

_API_ROUTES = [route for route in api.router.routes if isinstance(route, APIRoute)]
CATCH_ALL = next(route for route in _API_ROUTES if route.endpoint is api.proxy_api)
# Declared ahead of the catch-all in gateway/api.py, so FastAPI routes these to them, not to the table.
COMPOSED = tuple(route for route in _API_ROUTES if route is not CATCH_ALL)
# A body size limit or a dependency (a rate limit, say) on the catch-all route or its router is applied inside
# FastAPI's routing, which this path skips: with one set, every request goes through FastAPI. (An app-wide
# body limit wraps this middleware anyway.)
ENABLED = not (CATCH_ALL.max_body_size or api.router.max_body_size or CATCH_ALL.dependencies or api.router.dependencies)


class ProxyFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = resolve(scope["path"], scope["method"]) if ENABLED and scope["type"] == "http" else None
        if match is None or not self._routed_to_catch_all(scope):
            await self.app(scope, receive, send)
            return
        scope["route"] = CATCH_ALL  # metrics and spans label the request as when FastAPI routed it
        try:
            await self._forward(scope, receive, send, *match)
        except ApiError as refusal:
            # The very handler FastAPI would call (shared/errors.py): same status and FR/EN body.
            handler = scope["app"].exception_handlers[ApiError]
            response = await handler(Request(scope, receive), refusal)
            await response(scope, receive, send)

    @staticmethod
    def _routed_to_catch_all(scope: Scope) -> bool:
        path = scope["path"]
        if "?" in path or "#" in path or "\\" in path:
            return False  # Request.url escapes these in the path proxy_api resolves: rare, left to FastAPI
        # What Route.matches decides for a full match, without the scope copies FastAPI's version makes.
        # APIRoute always sets its methods (GET when none are given); Starlette's Route declares them optional.
        method = scope["method"]
        return not any(method in (route.methods or ()) and route.path_regex.match(path) for route in COMPOSED)

    @staticmethod
    async def _forward(scope: Scope, receive: Receive, send: Send, route: Route, upstream_path: str) -> None:
        # The same steps, in the same order, as api.proxy_api: refuse before reading the body.
        app = scope["app"]
        principal = app.state.verifier.principal_in(scope)
        require(principal, route.audience)
        body = await read_body(receive)
        proxy: Proxy = app.state.proxy
        client = scope.get("client")
        try:
            upstream = await proxy.request(
                route.service,
                scope["method"],
                upstream_path,
                query=scope["query_string"].decode(),
                body=body,
                headers=forwarded_headers(scope["headers"]),
                identity=principal.identity_headers() if principal else {},
                client_ip=client[0] if client else "",
            )
        except UpstreamUnavailable:
            raise api.upstream_down(route.service) from None
        # What starlette's Response(body, status_code, headers) sends.
        kept = upstream.headers.items()
        headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in kept]
        if not (upstream.status < 200 or upstream.status in (204, 304)):
            headers.append((b"content-length", str(len(upstream.body)).encode("latin-1")))
        await send({"type": "http.response.start", "status": upstream.status, "headers": headers})
        await send({"type": "http.response.body", "body": upstream.body})
