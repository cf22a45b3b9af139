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
    """The establishment's staff (disabled ones included) and its pending invitations: its managers only."""
    return await use_cases.establishment_staff(uow, who, establishment_id)


@router.post(ESTABLISHMENT + "/invitations", status_code=status.HTTP_201_CREATED)
async def invite_staff(
    establishment_id: uuid.UUID, body: InviteStaffRequest, who: StaffMember, uow: UoW, d: AccountsDeps
) -> InvitationResponse:
    """E-mails a single-use link, valid 72 hours by default; a newer invitation to the same address replaces it."""
    return await use_cases.invite_staff(uow, d.settings, who, establishment_id, body)


@router.post(MEMBER + "/role")
async def change_role(
    establishment_id: uuid.UUID, staff_id: uuid.UUID, body: ChangeRoleRequest, who: StaffMember, uow: UoW
) -> MemberResponse:
    """Clerk or manager; the last active manager stays one. A demoted manager's sessions end."""
    return await use_cases.change_role(uow, who, establishment_id, staff_id, body.role)


@router.post(MEMBER + "/disable")
async def disable_member(
    establishment_id: uuid.UUID, staff_id: uuid.UUID, who: StaffMember, uow: UoW
) -> MemberResponse:
    """The role opens nothing any more and every session of the person ends at once (not oneself, not the
    last active manager)."""
    return await use_cases.disable_member(uow, who, establishment_id, staff_id)


@router.post(MEMBER + "/enable")
async def enable_member(establishment_id: uuid.UUID, staff_id: uuid.UUID, who: StaffMember, uow: UoW) -> MemberResponse:
    """Gives a disabled role back."""
    return await use_cases.enable_member(uow, who, establishment_id, staff_id)


# The token travels in the body, never in a URL a log or a proxy would keep.
@router.post("/staff/invitations/lookup")
async def look_up_invitation(body: LookUpInvitationRequest, uow: UoW) -> InvitationLookupResponse:
    """What the invitation link is for, before accepting it; 404 invitation_invalid once used, expired or
    replaced."""
    return await use_cases.look_up_invitation(uow, body.token)


@router.post("/staff/invitations/accept", status_code=status.HTTP_201_CREATED)
async def accept_invitation(body: AcceptInvitationRequest, uow: UoW, d: AccountsDeps) -> AcceptedInvitationResponse:
    """Joins the establishment: a new person gives a name and a password (the citizens' rules) and enrols a
    second factor at their first sign-in; an existing staff member gains the role."""
    return await use_cases.accept_invitation(uow, d, body)


@router.get("/operator/staff")
async def all_staff(who: StaffMember, uow: UoW) -> list[StaffPersonResponse]:
    """Everyone who may sign in to the console, with their roles: platform operators only."""
    return await use_cases.all_staff(uow, who)


@router.post("/operator/staff/managers", status_code=status.HTTP_201_CREATED)
async def appoint_manager(
    body: AppointManagerRequest, who: StaffMember, uow: UoW, d: AccountsDeps
) -> InvitationResponse:
    """Invites a manager for an establishment (its first one, usually): platform operators only."""
    return (await use_cases.appoint_manager(uow, d.settings, who, body)).answer


@router.post("/operator/staff/{staff_id}/factor-reset")
async def reset_factor(staff_id: uuid.UUID, who: StaffMember, uow: UoW) -> StaffPersonResponse:
    """Clears a staff member's second factor (they enrol a new one at their next sign-in) and ends their
    sessions: platform operators only."""
    return await use_cases.reset_factor(uow, who, staff_id)
