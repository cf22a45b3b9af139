"""The public JSON API: every /api/* request is matched against the routing table and proxied."""

from fastapi import APIRouter, Request, Response

from gateway.auth import require
from gateway.proxy import Proxy, UpstreamUnavailable
from gateway.routes import resolve
from shared.errors import DomainError

router = APIRouter()

NOT_FOUND = DomainError(404, "not_found", None, "Ressource introuvable.", "Resource not found.")


def upstream_down(service: str) -> DomainError:
    return DomainError(
        503,
        "service_unavailable",
        None,
        "Service momentanément indisponible, réessayez dans un instant.",
        f"The {service} service is temporarily unavailable, please retry shortly.",
    )


@router.api_route("/api/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def proxy_api(request: Request, path: str) -> Response:
    match = resolve(request.url.path, request.method)
    if match is None:
        raise NOT_FOUND
    route, upstream_path = match
    principal = request.app.state.verifier.principal(request)
    require(principal, route.audience)
    proxy: Proxy = request.app.state.proxy
    try:
        upstream = await proxy.request(
            route.service,
            request.method,
            upstream_path,
            query=request.url.query,
            body=await request.body(),
            headers=request.headers,
            identity=principal.identity_headers() if principal else {},
            client_ip=request.client.host if request.client else "",
        )
    except UpstreamUnavailable:
        raise upstream_down(route.service) from None
    return Response(upstream.body, status_code=upstream.status, headers=upstream.headers)
