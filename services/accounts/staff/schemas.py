import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.contact import Email
from shared.request_models import RequestModel

Language = Literal["fr", "en"]
StaffRole = Literal["clerk", "manager"]
# For the invitation e-mail only ("… invites you to join {name}"): the gateway passes the name it shows.
EstablishmentName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# The link's secret: token_urlsafe(32) is 43 characters; bounded so nothing larger is hashed.
InvitationToken = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(RequestModel):
    model_config = ConfigDict(extra="forbid")


class MemberResponse(BaseModel):
    staff_id: uuid.UUID
    name: str
    email: str
    role: StaffRole
    disabled: bool
    factor_enrolled: bool
    granted_at: datetime


class PendingInvitationResponse(BaseModel):
    id: uuid.UUID
    email: str
    role: StaffRole
    created_at: datetime
    expires_at: datetime


class EstablishmentStaffResponse(BaseModel):
    members: list[MemberResponse]
    invitations: list[PendingInvitationResponse]  # pending only


class InviteStaffRequest(_Strict):
    email: Email
    role: StaffRole
    language: Language = "fr"
    establishment_name: EstablishmentName | None = None


class InvitationResponse(BaseModel):
    id: uuid.UUID
    email: str
    role: StaffRole
    expires_at: datetime


class ChangeRoleRequest(_Strict):
    role: StaffRole


class LookUpInvitationRequest(_Strict):
    token: InvitationToken


class InvitationLookupResponse(BaseModel):
    email: str
    establishment_id: uuid.UUID
    role: StaffRole
    existing_account: bool  # a staff member already: no name nor password to set
    expires_at: datetime


class AcceptInvitationRequest(_Strict):
    token: InvitationToken
    # Required for a new person, ignored for an existing staff member (use_cases.accept_invitation).
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)] | None = None
    # Bounded so a huge body cannot make argon2 hash megabytes; the policy is registration's.
    password: str | None = Field(default=None, max_length=1000)


class AcceptedInvitationResponse(BaseModel):
    staff_id: uuid.UUID
    email: str


class HeldRoleResponse(BaseModel):
    establishment_id: uuid.UUID
    role: StaffRole
    disabled: bool


class StaffPersonResponse(BaseModel):
    staff_id: uuid.UUID
    name: str
    email: str
    operator: bool
    factor_enrolled: bool
    roles: list[HeldRoleResponse]


class AppointManagerRequest(_Strict):
    establishment_id: uuid.UUID
    email: Email
    language: Language = "fr"
    establishment_name: EstablishmentName | None = None
