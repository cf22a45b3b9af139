"""The account's dependants, and the booking form for one of them or the holder."""

import uuid

from fastapi import APIRouter, Response, status

from services.accounts.family import use_cases
from services.accounts.family.schemas import BookingFormResponse, DependantRequest, DependantResponse
from services.accounts.sessions.api import AccountsDeps
from shared.request_context import Citizen, UoW

router = APIRouter()


@router.get("/me/dependants")
async def list_dependants(account_id: Citizen, uow: UoW, d: AccountsDeps) -> list[DependantResponse]:
    return await use_cases.list_dependants(uow, d.vault, account_id)


@router.post("/me/dependants", status_code=status.HTTP_201_CREATED)
async def add_dependant(body: DependantRequest, account_id: Citizen, uow: UoW, d: AccountsDeps) -> DependantResponse:
    return await use_cases.add_dependant(uow, d.vault, account_id, body)


@router.put("/me/dependants/{dependant_id}")
async def update_dependant(
    dependant_id: uuid.UUID, body: DependantRequest, account_id: Citizen, uow: UoW, d: AccountsDeps
) -> DependantResponse:
    return await use_cases.update_dependant(uow, d.vault, account_id, dependant_id, body)


@router.delete("/me/dependants/{dependant_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_dependant(dependant_id: uuid.UUID, account_id: Citizen, uow: UoW) -> Response:
    await use_cases.remove_dependant(uow, account_id, dependant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/booking-form")
async def booking_form(
    account_id: Citizen, uow: UoW, d: AccountsDeps, person_id: uuid.UUID | None = None
) -> BookingFormResponse:
    return await use_cases.booking_form(uow, d.vault, account_id, person_id)
