"""HTTP routes of the waitlist: parse, call a use case, answer.

Citizens act on the entries their account made; without an account, an entry and an offer are acted on with
their link's token (an offer's token also works for an account's entry: the message carries the link).
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel

from services.appointments.booking.api import IdempotencyKey, Secret
from services.appointments.booking.schemas import BookedAppointmentResponse
from services.appointments.waitlist import use_cases
from services.appointments.waitlist.schemas import (
    JoinedWaitlistResponse,
    JoinWaitlistForPersonRequest,
    JoinWaitlistRequest,
    MyWaitlistResponse,
    SetWaitlistRulesRequest,
    TokenRequest,
    WaitlistEntryResponse,
    WaitlistLinesResponse,
    WaitlistOfferResponse,
    WaitlistRulesResponse,
)
from shared.client_address import ClientKey
from shared.request_context import Citizen, StaffMember, UoW

router = APIRouter()
TokenQuery = Annotated[str, Query(min_length=1, max_length=200)]


def _created(answer: BaseModel, replayed: bool) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(answer.model_dump_json(), status.HTTP_201_CREATED, headers, "application/json")


# --- a signed-in citizen, for the holder or a dependant ---


@router.post("/my/waitlist", status_code=status.HTTP_201_CREATED, response_model=WaitlistEntryResponse)
async def join_for_person(
    body: JoinWaitlistForPersonRequest, account_id: Citizen, uow: UoW, idempotency_key: IdempotencyKey = None
) -> Response:
    return _created(*await use_cases.join_for_person(uow, account_id, body, idempotency_key))


@router.get("/my/waitlist")
async def my_waitlist(account_id: Citizen, uow: UoW, key: Secret) -> MyWaitlistResponse:
    return await use_cases.my_waitlist(uow, key, account_id)


@router.post("/my/waitlist/{entry_id}/leave")
async def leave_mine(entry_id: uuid.UUID, account_id: Citizen, uow: UoW) -> WaitlistEntryResponse:
    return await use_cases.leave_mine(uow, account_id, entry_id)


# --- without an account ---


@router.post("/waitlist", status_code=status.HTTP_201_CREATED, response_model=JoinedWaitlistResponse)
async def join_without_account(
    body: JoinWaitlistRequest, uow: UoW, request: Request, source: ClientKey, idempotency_key: IdempotencyKey = None
) -> Response:
    settings = request.app.state.runtime.settings
    return _created(*await use_cases.join_without_account(uow, settings, source, body, idempotency_key))


@router.get("/waitlist/entries/{entry_id}")
async def entry_with_token(entry_id: uuid.UUID, uow: UoW, token: TokenQuery) -> WaitlistEntryResponse:
    return await use_cases.entry_with_token(uow, entry_id, token)


@router.post("/waitlist/entries/{entry_id}/leave")
async def leave_with_token(entry_id: uuid.UUID, body: TokenRequest, uow: UoW) -> WaitlistEntryResponse:
    return await use_cases.leave_with_token(uow, entry_id, body.token)


# --- an offer, by its link's token ---


@router.get("/waitlist/offers/{offer_id}")
async def offer_with_token(offer_id: uuid.UUID, uow: UoW, token: TokenQuery) -> WaitlistOfferResponse:
    return await use_cases.offer_with_token(uow, offer_id, token)


@router.post(
    "/waitlist/offers/{offer_id}/accept", status_code=status.HTTP_201_CREATED, response_model=BookedAppointmentResponse
)
async def accept_offer(
    offer_id: uuid.UUID, body: TokenRequest, uow: UoW, key: Secret, idempotency_key: IdempotencyKey = None
) -> Response:
    return _created(*await use_cases.accept_offer(uow, key, offer_id, body.token, idempotency_key))


@router.post("/waitlist/offers/{offer_id}/decline")
async def decline_offer(offer_id: uuid.UUID, body: TokenRequest, uow: UoW) -> WaitlistOfferResponse:
    return await use_cases.decline_offer(uow, offer_id, body.token)


# --- the clinic: clerk or manager; the hold time, manager ---


@router.get("/admin/establishments/{establishment_id}/waitlist")
async def waitlist_lines(establishment_id: uuid.UUID, who: StaffMember, uow: UoW) -> WaitlistLinesResponse:
    return await use_cases.waitlist_lines(uow, who, establishment_id)


@router.put("/admin/establishments/{establishment_id}/waitlist-rules")
async def set_waitlist_rules(
    establishment_id: uuid.UUID, body: SetWaitlistRulesRequest, who: StaffMember, uow: UoW
) -> WaitlistRulesResponse:
    return await use_cases.set_waitlist_rules(uow, who, establishment_id, body)
