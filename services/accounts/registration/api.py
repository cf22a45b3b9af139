"""Registering an account, asking for a password reset, and sending a code again. The gateway authenticates and
forwards the access token, verified again here (shared/request_context.py)."""

import uuid

from fastapi import APIRouter, status

from services.accounts.registration import use_cases
from services.accounts.registration.schemas import ChallengeResponse, RegisterAccountRequest, ResetPasswordRequest
from services.accounts.sessions.api import AccountsDeps
from shared.request_context import OptionalCitizen, UoW

router = APIRouter()


@router.post("/registrations", status_code=status.HTTP_202_ACCEPTED)
async def register_account(body: RegisterAccountRequest, uow: UoW, d: AccountsDeps) -> ChallengeResponse:
    return await use_cases.register_account(uow, d, body)


@router.post("/codes/{challenge_id}/resend", status_code=status.HTTP_202_ACCEPTED)
async def resend_code(
    challenge_id: uuid.UUID, uow: UoW, d: AccountsDeps, account_id: OptionalCitizen
) -> ChallengeResponse:
    return await use_cases.resend_code(uow, d, challenge_id, account_id)


@router.post("/password-resets", status_code=status.HTTP_202_ACCEPTED)
async def reset_password(body: ResetPasswordRequest, uow: UoW, d: AccountsDeps) -> ChallengeResponse:
    return await use_cases.request_password_reset(uow, d, body.identifier, body.new_password)
