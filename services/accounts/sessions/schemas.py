import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contact import Email
from shared.request_models import RequestModel


class _Strict(RequestModel):
    model_config = ConfigDict(extra="forbid")


class LogInRequest(_Strict):
    identifier: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1000)


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    # Seconds left in the session: the refresh token works (once) until then, and its cookie lasts as long.
    refresh_expires_in: int


class SessionRevocationResponse(BaseModel):
    subject_id: uuid.UUID
    session_id: uuid.UUID | None  # None: every session of the subject
    revoked_at: datetime


class RefreshSessionRequest(_Strict):
    refresh_token: str = Field(min_length=1, max_length=200)


class StaffLogInRequest(_Strict):
    email: Email
    password: str = Field(min_length=1, max_length=1000)


class StaffRoleResponse(BaseModel):
    establishment_id: uuid.UUID
    role: Literal["clerk", "manager"]


class StaffProfileResponse(BaseModel):
    """Who a staff member is, for the console's header: `role` and `establishment_id` as the session has them
    (an operator: "operator" and None; before choosing among several: "" and None)."""

    id: uuid.UUID
    name: str
    email: str
    role: str
    establishment_id: uuid.UUID | None
    operator: bool
    roles: list[StaffRoleResponse]


class StaffSignInEnrolment(BaseModel):
    """A secret to add to an authenticator app: typed, or scanned from a QR code of `otpauth_uri`."""

    secret: str
    otpauth_uri: str


class StaffSignInStep(BaseModel):
    """The password was right: the second factor comes next, with `challenge` (valid `expires_in` seconds)."""

    next: Literal["totp", "enrol"]
    challenge: str
    expires_in: int
    enrolment: StaffSignInEnrolment | None = None


class StaffCodeRequest(_Strict):
    challenge: str = Field(min_length=1, max_length=200)
    # A 6-digit code, or a recovery code (`xxxxx-xxxxx`; case, spaces and dashes ignored).
    code: str = Field(min_length=1, max_length=40)


class StaffTokenResponse(TokenResponse):
    establishment_id: uuid.UUID | None  # the session's, chosen automatically when the person has only one
    roles: list[StaffRoleResponse]
    operator: bool


class StaffEnrolledResponse(StaffTokenResponse):
    recovery_codes: list[str]  # shown once: only their hashes are kept


class ChooseEstablishmentRequest(_Strict):
    establishment_id: uuid.UUID
    refresh_token: str = Field(min_length=1, max_length=200)


class StaffNameResponse(BaseModel):
    id: uuid.UUID
    name: str
    role: str


class StaffNamesResponse(BaseModel):
    staff: list[StaffNameResponse]
