"""HTTP routes of one-time codes: parse, call a use case, answer."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.verification.codes import use_cases
from services.verification.codes.schemas import ChallengeResponse, VerifyChallengeRequest
from services.verification.settings import VerificationSettings
from shared.request_context import OptionalCitizen, UoW

router = APIRouter()


async def settings(request: Request) -> VerificationSettings:
    configured: VerificationSettings = request.app.state.runtime.settings
    return configured


Settings = Annotated[VerificationSettings, Depends(settings)]


@router.post("/challenges/{challenge_id}/verify", response_model=ChallengeResponse)
async def verify_code(
    challenge_id: uuid.UUID, body: VerifyChallengeRequest, uow: UoW, config: Settings, account_id: OptionalCitizen
) -> ChallengeResponse:
    return await use_cases.verify_code(uow, challenge_id, body.code, body.purpose, account_id, config)


@router.get("/challenges/{challenge_id}", response_model=ChallengeResponse)
async def challenge_status(
    challenge_id: uuid.UUID, uow: UoW, config: Settings, account_id: OptionalCitizen
) -> ChallengeResponse:
    return await use_cases.challenge_status(uow, challenge_id, config, account_id)
