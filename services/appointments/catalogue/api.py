"""HTTP routes of the catalogue: establishments and free slots, the public nearby search, staff schedules
(identity comes from the gateway)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.appointments.catalogue import use_cases
from services.appointments.catalogue.rules import MAX_RADIUS_KM, SearchQuery
from services.appointments.catalogue.schemas import (
    CreatedScheduleResponse,
    CreateScheduleRequest,
    EstablishmentResponse,
    OfferedServiceResponse,
    ScheduleResponse,
    SearchResponse,
    ServiceOfferedResponse,
    SlotResponse,
    StaffEstablishmentResponse,
)
from shared.request_context import StaffMember, UoW
from shared.request_models import Instant

router = APIRouter()


@router.get("/establishments", response_model=list[EstablishmentResponse])
async def list_establishments(
    uow: UoW, limit: Annotated[int, Query(ge=1, le=100)] = 20, offset: Annotated[int, Query(ge=0, le=100_000)] = 0
) -> list[EstablishmentResponse]:
    return await use_cases.list_establishments(uow, limit, offset)


@router.get("/slots", response_model=list[SlotResponse])
async def list_free_slots(
    uow: UoW,
    service_id: uuid.UUID,
    date_from: Instant | None = None,
    date_to: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SlotResponse]:
    return await use_cases.list_free_slots(uow, service_id, date_from, date_to, limit)


@router.get("/search")
async def search_nearby(
    request: Request,
    postal_code: Annotated[str | None, Query(max_length=10)] = None,
    lat: float | None = None,
    lon: float | None = None,
    service: Annotated[str | None, Query(max_length=100)] = None,
    date_from: Instant | None = None,
    date_to: Instant | None = None,
    radius_km: Annotated[float, Query(gt=0, le=MAX_RADIUS_KM)] = 25.0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> SearchResponse:
    """Establishments within `radius_km` with a free slot of a matching service, nearest first."""
    query = SearchQuery(
        postal_code=postal_code or None,
        latitude=lat,
        longitude=lon,
        service=service,
        date_from=date_from,
        date_to=date_to,
        radius_km=radius_km,
        limit=limit,
        offset=offset,
    )
    return await use_cases.search_nearby(request.app.state.search_engine, query)


@router.get("/services/{service_id}")
async def offered_service(service_id: uuid.UUID, uow: UoW) -> OfferedServiceResponse:
    return await use_cases.offered_service(uow, service_id)


@router.get("/admin/establishments/{establishment_id}")
async def own_establishment(establishment_id: uuid.UUID, who: StaffMember, uow: UoW) -> StaffEstablishmentResponse:
    return await use_cases.own_establishment(uow, who, establishment_id)


@router.get("/admin/establishments/{establishment_id}/services")
async def list_services(establishment_id: uuid.UUID, who: StaffMember, uow: UoW) -> list[ServiceOfferedResponse]:
    return await use_cases.list_services(uow, who, establishment_id)


@router.get("/admin/establishments/{establishment_id}/schedules")
async def list_schedules(establishment_id: uuid.UUID, who: StaffMember, uow: UoW) -> list[ScheduleResponse]:
    return await use_cases.list_schedules(uow, who, establishment_id)


@router.post("/admin/establishments/{establishment_id}/schedules", status_code=status.HTTP_201_CREATED)
async def create_schedule(
    establishment_id: uuid.UUID, body: CreateScheduleRequest, who: StaffMember, uow: UoW, response: Response
) -> CreatedScheduleResponse:
    schedule, created = await use_cases.create_schedule(uow, who, establishment_id, body)
    if not created:
        response.status_code = status.HTTP_200_OK  # the same schedule again: nothing new was stored
    return schedule
