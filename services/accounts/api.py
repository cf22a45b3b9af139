"""HTTP routes of the accounts service. The gateway authenticates and forwards the access token, verified again
here (shared/request_context.py)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from services.accounts import service, sessions, staff_directory
from services.accounts.schemas import (
    BookingFormResponse,
    ChallengeResponse,
    DeleteAccountRequest,
    DependantRequest,
    DependantResponse,
    LogInRequest,
    ProfileResponse,
    RefreshSessionRequest,
    RegisterAccountRequest,
    RequestSensitiveChangeRequest,
    ResetPasswordRequest,
    SessionRevocationResponse,
    StaffLogInRequest,
    StaffProfileResponse,
    TokenResponse,
    UpdateProfileRequest,
)
from services.accounts.service import Deps
from shared.client_address import ClientKey
from shared.request_context import Citizen, OptionalCitizen, StaffMember, UoW
from shared.request_models import Instant

router = APIRouter()


async def deps(request: Request) -> Deps:
    return request.app.state.deps


D = Annotated[Deps, Depends(deps)]


@router.post("/registrations", status_code=status.HTTP_202_ACCEPTED)
async def register_account(body: RegisterAccountRequest, uow: UoW, d: D) -> ChallengeResponse:
    return await service.register_account(uow, d, body)


@router.post("/codes/{challenge_id}/resend", status_code=status.HTTP_202_ACCEPTED)
async def resend_code(challenge_id: uuid.UUID, uow: UoW, d: D, account_id: OptionalCitizen) -> ChallengeResponse:
    return await service.resend_code(uow, d, challenge_id, account_id)


@router.post("/sessions")
async def log_in(body: LogInRequest, uow: UoW, d: D, ip: ClientKey) -> TokenResponse:
    return await service.log_in(uow, d, body.identifier, body.password, ip)


@router.post("/sessions/refresh")
async def refresh_session(body: RefreshSessionRequest, uow: UoW, d: D) -> TokenResponse:
    return await sessions.refresh(uow, d.settings, body.refresh_token)


@router.post("/sessions/logout", status_code=status.HTTP_204_NO_CONTENT)
async def log_out(body: RefreshSessionRequest, uow: UoW) -> Response:
    await sessions.log_out(uow, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/session-revocations")
async def session_revocations(since: Instant, uow: UoW, d: D) -> list[SessionRevocationResponse]:
    """For a gateway that starts (never routed by it): the sessions ended since `since`, whose access tokens
    it must refuse though they have not expired."""
    return await sessions.revocations_since(uow, d.settings, since)


@router.post("/password-resets", status_code=status.HTTP_202_ACCEPTED)
async def reset_password(body: ResetPasswordRequest, uow: UoW, d: D) -> ChallengeResponse:
    return await service.request_password_reset(uow, d, body.identifier, body.new_password)


@router.get("/me")
async def get_profile(account_id: Citizen, uow: UoW, d: D) -> ProfileResponse:
    return await service.get_profile(uow, d, account_id)


@router.patch("/me")
async def update_profile(body: UpdateProfileRequest, account_id: Citizen, uow: UoW, d: D) -> ProfileResponse:
    return await service.update_profile(uow, d, account_id, body)


@router.post("/me/delete", status_code=status.HTTP_204_NO_CONTENT)
async def delete_account(body: DeleteAccountRequest, account_id: Citizen, uow: UoW, d: D) -> Response:
    await service.delete_account(uow, d, account_id, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/sensitive-changes", status_code=status.HTTP_202_ACCEPTED)
async def request_sensitive_change(
    body: RequestSensitiveChangeRequest, account_id: Citizen, uow: UoW, d: D
) -> ChallengeResponse:
    return await service.request_sensitive_change(uow, d, account_id, body)


@router.get("/me/dependants")
async def list_dependants(account_id: Citizen, uow: UoW, d: D) -> list[DependantResponse]:
    return await service.list_dependants(uow, d, account_id)


@router.post("/me/dependants", status_code=status.HTTP_201_CREATED)
async def add_dependant(body: DependantRequest, account_id: Citizen, uow: UoW, d: D) -> DependantResponse:
    return await service.add_dependant(uow, d, account_id, body)


@router.put("/me/dependants/{dependant_id}")
async def update_dependant(
    dependant_id: uuid.UUID, body: DependantRequest, account_id: Citizen, uow: UoW, d: D
) -> DependantResponse:
    return await service.update_dependant(uow, d, account_id, dependant_id, body)


@router.delete("/me/dependants/{dependant_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_dependant(dependant_id: uuid.UUID, account_id: Citizen, uow: UoW) -> Response:
    await service.remove_dependant(uow, account_id, dependant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/booking-form")
async def booking_form(account_id: Citizen, uow: UoW, d: D, person_id: uuid.UUID | None = None) -> BookingFormResponse:
    return await service.booking_form(uow, d, account_id, person_id)


@router.post("/staff/sessions")
async def staff_log_in(body: StaffLogInRequest, uow: UoW, d: D, ip: ClientKey) -> TokenResponse:
    return await service.staff_log_in(uow, d, body.email, body.password, ip)


@router.get("/staff/me")
async def staff_profile(who: StaffMember, uow: UoW) -> StaffProfileResponse:
    return await service.staff_profile(uow, who.id)


@router.get("/staff")
async def staff_names(who: StaffMember, uow: UoW, establishment_id: uuid.UUID) -> staff_directory.StaffNamesResponse:
    """The establishment's staff by name and role, for its own managers (the console's audit log)."""
    return await staff_directory.staff_names(uow, who, establishment_id)
