"""The public JSON API: every /api/* request is matched against the routing table and proxied."""

import uuid
from datetime import date

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway import association_requests, composition, data_export
from gateway.auth import require
from gateway.data_export_pages import SCHEMA, export_file
from gateway.proxy import Proxy, UpstreamUnavailable
from gateway.routes import resolve
from gateway.web.texts import language_of
from shared.errors import ApiError
from shared.request_models import RequestModel

router = APIRouter()

NOT_FOUND = ApiError(404, "not_found", None, "Ressource introuvable.", "Resource not found.")


def upstream_down(service: str) -> ApiError:
    return ApiError(
        503,
        "service_unavailable",
        None,
        "Service momentanément indisponible, réessayez dans un instant.",
        f"The {service} service is temporarily unavailable, please retry shortly.",
    )


class BookForPersonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot_id: uuid.UUID
    person_id: uuid.UUID | None = None  # the holder when absent


@router.post("/api/my/appointments", include_in_schema=False)
async def book_for_person(request: Request, body: BookForPersonBody) -> Response:
    principal = request.app.state.verifier.principal(request)
    require(principal, "citizen")
    assert principal is not None
    try:
        upstream = await composition.book_for_person(
            request.app.state.proxy, principal, body.slot_id, body.person_id, request.headers
        )
    except UpstreamUnavailable as down:
        raise upstream_down(str(down)) from None
    return Response(upstream.body, status_code=upstream.status, headers=upstream.headers)


class JoinWaitlistForPersonBody(RequestModel):
    model_config = ConfigDict(extra="forbid")

    establishment_id: uuid.UUID
    service_id: uuid.UUID
    from_date: date
    to_date: date
    times_of_day: list[str] = Field(max_length=3)  # morning, afternoon, evening: appointments checks them
    person_id: uuid.UUID | None = None  # the holder when absent


@router.post("/api/my/waitlist", include_in_schema=False)
async def join_waitlist_for_person(request: Request, body: JoinWaitlistForPersonBody) -> Response:
    principal = request.app.state.verifier.principal(request)
    require(principal, "citizen")
    assert principal is not None
    join = body.model_dump(mode="json", exclude={"person_id"})
    try:
        upstream = await composition.join_waitlist_for_person(
            request.app.state.proxy, principal, join, body.person_id, request.headers
        )
    except UpstreamUnavailable as down:
        raise upstream_down(str(down)) from None
    return Response(upstream.body, status_code=upstream.status, headers=upstream.headers)


class AssociationRequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID


@router.post("/api/my/association-requests", include_in_schema=False)
async def file_association_request(request: Request, body: AssociationRequestBody) -> Response:
    principal = request.app.state.verifier.principal(request)
    require(principal, "citizen")
    assert principal is not None
    try:
        upstream = await association_requests.file_association_request(
            request.app.state.proxy, principal, body.person_id
        )
    except UpstreamUnavailable as down:
        raise upstream_down(str(down)) from None
    return Response(upstream.body, status_code=upstream.status, headers=upstream.headers)


@router.get("/api/my/export", include_in_schema=False)
async def my_data_export(request: Request) -> Response:
    """The citizen's export (docs/export.md) for a client holding their token; the page's downloads use signed
    links instead (gateway/data_export_pages.py)."""
    principal = request.app.state.verifier.principal(request)
    require(principal, "citizen")
    assert principal is not None
    lang = language_of(request)
    try:
        document = await data_export.compose(request.app.state.proxy, principal, lang)
    except UpstreamUnavailable as down:
        raise upstream_down(str(down)) from None
    return export_file(document, "json", lang)


@router.get("/api/export-schema", include_in_schema=False)
async def data_export_schema() -> Response:
    """The export's JSON Schema: docs/export.schema.json, generated from the same model (devstack/export_schema.py)."""
    return Response(SCHEMA, media_type="application/schema+json", headers={"cache-control": "public, max-age=3600"})


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
