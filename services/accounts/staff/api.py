"""Staff administration: managers administer their establishment's staff (/admin/staff), operators the
platform's (/operator/staff), and the invited accept their link without signing in (/staff/invitations)."""

import uuid

from fastapi import APIRouter, status

from services.accounts.sessions.api import AccountsDeps
from services.accounts.staff import use_cases
from services.accounts.staff.schemas import (
    AcceptedInvitationResponse,
    AcceptInvitationRequest,
    AppointManagerRequest,
    ChangeRoleRequest,
    EstablishmentStaffResponse,
    InvitationLookupResponse,
    InvitationResponse,
    InviteStaffRequest,
    LookUpInvitationRequest,
    MemberResponse,
    StaffPersonResponse,
)
from shared.request_context import StaffMember, UoW

router = APIRouter()

ESTABLISHMENT = "/admin/staff/establishments/{establishment_id}"
MEMBER = ESTABLISHMENT + "/members/{staff_id}"


@router.get(ESTABLISHMENT)
async def establishment_staff(establishment_id: uuid.UUID, who: StaffMember, uow: UoW) -> EstablishmentStaffResponse:
    return await use_cases.establishment_staff(uow, who, establishment_id)


@router.post(ESTABLISHMENT + "/invitations", status_code=status.HTTP_201_CREATED)
async def invite_staff(
    establishment_id: uuid.UUID, body: InviteStaffRequest, who: StaffMember, uow: UoW, d: AccountsDeps
) -> InvitationResponse:
    return await use_cases.invite_staff(uow, d.settings, who, establishment_id, body)


@router.post(MEMBER + "/role")
async def change_role(
    establishment_id: uuid.UUID, staff_id: uuid.UUID, body: ChangeRoleRequest, who: StaffMember, uow: UoW
) -> MemberResponse:
    return await use_cases.change_role(uow, who, establishment_id, staff_id, body.role)


@router.post(MEMBER + "/disable")
async def disable_member(
    establishment_id: uuid.UUID, staff_id: uuid.UUID, who: StaffMember, uow: UoW
) -> MemberResponse:
    return await use_cases.disable_member(uow, who, establishment_id, staff_id)


@router.post(MEMBER + "/enable")
async def enable_member(establishment_id: uuid.UUID, staff_id: uuid.UUID, who: StaffMember, uow: UoW) -> MemberResponse:
    return await use_cases.enable_member(uow, who, establishment_id, staff_id)


# The token travels in the body, never in a URL a log or a proxy would keep.
@router.post("/staff/invitations/lookup")
async def look_up_invitation(body: LookUpInvitationRequest, uow: UoW) -> InvitationLookupResponse:
    return await use_cases.look_up_invitation(uow, body.token)


@router.post("/staff/invitations/accept", status_code=status.HTTP_201_CREATED)
async def accept_invitation(body: AcceptInvitationRequest, uow: UoW, d: AccountsDeps) -> AcceptedInvitationResponse:
    return await use_cases.accept_invitation(uow, d, body)


@router.get("/operator/staff")
async def all_staff(who: StaffMember, uow: UoW) -> list[StaffPersonResponse]:
    return await use_cases.all_staff(uow, who)


@router.post("/operator/staff/managers", status_code=status.HTTP_201_CREATED)
async def appoint_manager(
    body: AppointManagerRequest, who: StaffMember, uow: UoW, d: AccountsDeps
) -> InvitationResponse:
    return (await use_cases.appoint_manager(uow, d.settings, who, body)).answer


@router.post("/operator/staff/{staff_id}/factor-reset")
async def reset_factor(staff_id: uuid.UUID, who: StaffMember, uow: UoW) -> StaffPersonResponse:
    return await use_cases.reset_factor(uow, who, staff_id)
