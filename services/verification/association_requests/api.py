"""Routes of citizens' association requests.

Citizens list theirs through the gateway (/api/my/association-requests); filing one goes through the
gateway's composition, which finds the patient's next appointment in the citizen's own account. Staff
see and decide the requests of their own establishment only.
"""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from services.verification.association_requests import use_cases
from services.verification.association_requests.schemas import (
    AcceptAssociationRequest,
    AssociationRequestsResponse,
    AssociationRequestView,
    FileAssociationRequest,
    RefuseAssociationRequest,
)
from services.verification.validations.api import FrontDesk
from shared.request_context import Citizen, UoW

citizen_router = APIRouter(prefix="/my/association-requests")
staff_router = APIRouter(prefix="/admin/establishments/{establishment_id}/association-requests")


@citizen_router.post("", status_code=status.HTTP_201_CREATED)
async def file_request(body: FileAssociationRequest, account_id: Citizen, uow: UoW) -> AssociationRequestView:
    return await use_cases.file_request(uow, account_id, body)


@citizen_router.get("")
async def my_requests(account_id: Citizen, uow: UoW) -> AssociationRequestsResponse:
    return AssociationRequestsResponse(requests=await use_cases.list_account_requests(uow, account_id))


@staff_router.get("")
async def establishment_requests(
    establishment_id: uuid.UUID,
    uow: UoW,
    member: FrontDesk,
    state: Annotated[Literal["pending", "accepted", "refused", "withdrawn"], Query(alias="status")] = "pending",
) -> AssociationRequestsResponse:
    return AssociationRequestsResponse(requests=await use_cases.list_establishment_requests(uow, member, state))


@staff_router.post("/{request_id}/accept")
async def accept(
    establishment_id: uuid.UUID, request_id: uuid.UUID, body: AcceptAssociationRequest, uow: UoW, member: FrontDesk
) -> AssociationRequestView:
    return await use_cases.accept_request(uow, member, request_id, body)


@staff_router.post("/{request_id}/refuse")
async def refuse(
    establishment_id: uuid.UUID, request_id: uuid.UUID, body: RefuseAssociationRequest, uow: UoW, member: FrontDesk
) -> AssociationRequestView:
    return await use_cases.refuse_request(uow, member, request_id, body)
