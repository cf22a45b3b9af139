"""The signed-in holder's own account: reading and changing it, changes that wait for a code, and deleting it."""

from fastapi import APIRouter, Response, status

from services.accounts.profile import use_cases
from services.accounts.profile.schemas import (
    DeleteAccountRequest,
    ProfileResponse,
    RequestSensitiveChangeRequest,
    UpdateProfileRequest,
)
from services.accounts.registration.schemas import ChallengeResponse
from services.accounts.sessions.api import AccountsDeps
from shared.request_context import Citizen, UoW

router = APIRouter()


@router.get("/me")
async def get_profile(account_id: Citizen, uow: UoW, d: AccountsDeps) -> ProfileResponse:
    return await use_cases.get_profile(uow, d, account_id)


@router.patch("/me")
async def update_profile(body: UpdateProfileRequest, account_id: Citizen, uow: UoW, d: AccountsDeps) -> ProfileResponse:
    return await use_cases.update_profile(uow, d, account_id, body)


@router.post("/me/delete", status_code=status.HTTP_204_NO_CONTENT)
async def delete_account(body: DeleteAccountRequest, account_id: Citizen, uow: UoW, d: AccountsDeps) -> Response:
    await use_cases.delete_account(uow, d, account_id, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/sensitive-changes", status_code=status.HTTP_202_ACCEPTED)
async def request_sensitive_change(
    body: RequestSensitiveChangeRequest, account_id: Citizen, uow: UoW, d: AccountsDeps
) -> ChallengeResponse:
    return await use_cases.request_sensitive_change(uow, d, account_id, body)
