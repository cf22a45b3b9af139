"""HTTP routes of establishments: platform operators create and edit establishments and their services (their
staff token names no establishment); a manager sets a service's clinic rules."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.appointments.establishments import use_cases
from services.appointments.establishments.schemas import (
    CreateEstablishmentRequest,
    EstablishmentRequest,
    EstablishmentServiceResponse,
    NewServiceRequest,
    OperatorEstablishmentResponse,
    ServiceRulesRequest,
)
from shared.request_context import StaffMember, UoW

router = APIRouter()


@router.get("/operator/establishments")
async def list_establishments(
    who: StaffMember,
    uow: UoW,
    name: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[OperatorEstablishmentResponse]:
    """By name; `name` keeps those whose name contains it."""
    return await use_cases.list_establishments(uow, who, name or None, limit, offset)


@router.post("/operator/establishments", status_code=status.HTTP_201_CREATED)
async def create_establishment(
    body: CreateEstablishmentRequest, who: StaffMember, uow: UoW
) -> OperatorEstablishmentResponse:
    return await use_cases.create_establishment(uow, who, body)


@router.get("/operator/establishments/{establishment_id}")
async def get_establishment(establishment_id: uuid.UUID, who: StaffMember, uow: UoW) -> OperatorEstablishmentResponse:
    return await use_cases.get_establishment(uow, who, establishment_id)


@router.put("/operator/establishments/{establishment_id}")
async def update_establishment(
    establishment_id: uuid.UUID, body: EstablishmentRequest, who: StaffMember, uow: UoW
) -> OperatorEstablishmentResponse:
    return await use_cases.update_establishment(uow, who, establishment_id, body)


@router.post("/operator/establishments/{establishment_id}/services", status_code=status.HTTP_201_CREATED)
async def add_service(
    establishment_id: uuid.UUID, body: NewServiceRequest, who: StaffMember, uow: UoW
) -> EstablishmentServiceResponse:
    return await use_cases.add_service(uow, who, establishment_id, body)


@router.put("/admin/establishments/{establishment_id}/services/{service_id}/rules")
async def set_service_rules(
    establishment_id: uuid.UUID, service_id: uuid.UUID, body: ServiceRulesRequest, who: StaffMember, uow: UoW
) -> EstablishmentServiceResponse:
    return await use_cases.set_service_rules(uow, who, establishment_id, service_id, body)
