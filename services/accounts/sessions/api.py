"""Signing in and out, citizens and staff, and who the staff are. The gateway authenticates and forwards the
access token, verified again here (shared/request_context.py)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from services.accounts.sessions import use_cases
from services.accounts.sessions.schemas import (
    ChooseEstablishmentRequest,
    LogInRequest,
    RefreshSessionRequest,
    SessionRevocationResponse,
    StaffCodeRequest,
    StaffEnrolledResponse,
    StaffLogInRequest,
    StaffNamesResponse,
    StaffProfileResponse,
    StaffSignInStep,
    StaffTokenResponse,
    TokenResponse,
)
from services.accounts.sessions.use_cases import Deps
from shared.client_address import ClientKey
from shared.request_context import StaffMember, UoW
from shared.request_models import Instant

router = APIRouter()


async def deps(request: Request) -> Deps:
    found: Deps = request.app.state.deps
    return found


# The accounts routes' dependencies (built in main.py), for every feature's routes.
AccountsDeps = Annotated[Deps, Depends(deps)]


@router.post("/sessions")
async def log_in(body: LogInRequest, uow: UoW, d: AccountsDeps, ip: ClientKey) -> TokenResponse:
    return await use_cases.log_in(uow, d, body.identifier, body.password, ip)


@router.post("/sessions/refresh")
async def refresh_session(body: RefreshSessionRequest, uow: UoW, d: AccountsDeps) -> TokenResponse:
    return await use_cases.refresh(uow, d.settings, body.refresh_token)


@router.post("/sessions/logout", status_code=status.HTTP_204_NO_CONTENT)
async def log_out(body: RefreshSessionRequest, uow: UoW) -> Response:
    await use_cases.log_out(uow, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/session-revocations")
async def session_revocations(since: Instant, uow: UoW, d: AccountsDeps) -> list[SessionRevocationResponse]:
    """For a gateway that starts (never routed by it): the sessions ended since `since`, whose access tokens
    it must refuse though they have not expired."""
    return await use_cases.revocations_since(uow, d.settings, since)


@router.post("/staff/sessions")
async def staff_log_in(body: StaffLogInRequest, uow: UoW, d: AccountsDeps, ip: ClientKey) -> StaffSignInStep:
    """The password: the second factor comes next (`next`), with the challenge to send it with."""
    return await use_cases.staff_log_in(uow, d, body.email, body.password, ip)


@router.post("/staff/sessions/totp")
async def staff_second_factor(body: StaffCodeRequest, uow: UoW, d: AccountsDeps) -> StaffTokenResponse:
    """The authenticator's code, or a recovery code: the session starts."""
    return await use_cases.staff_second_factor(uow, d, body.challenge, body.code)


@router.post("/staff/sessions/enrolment")
async def staff_enrol(body: StaffCodeRequest, uow: UoW, d: AccountsDeps) -> StaffEnrolledResponse:
    """The first code of the secret shown at sign-in: the factor is enrolled, the recovery codes shown once."""
    return await use_cases.staff_enrol(uow, d, body.challenge, body.code)


@router.post("/staff/sessions/establishment")
async def choose_establishment(
    body: ChooseEstablishmentRequest, who: StaffMember, uow: UoW, d: AccountsDeps
) -> StaffTokenResponse:
    """The session moves to one of the person's establishments; the refresh token sent rotates."""
    return await use_cases.choose_establishment(uow, d.settings, who, body.establishment_id, body.refresh_token)


@router.get("/staff/me")
async def staff_profile(who: StaffMember, uow: UoW) -> StaffProfileResponse:
    return await use_cases.staff_profile(uow, who)


@router.get("/staff")
async def staff_names(who: StaffMember, uow: UoW, establishment_id: uuid.UUID) -> StaffNamesResponse:
    """The establishment's staff by name and role, for its own managers (the console's audit log)."""
    return await use_cases.staff_names(uow, who, establishment_id)
