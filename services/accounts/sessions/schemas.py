import uuid
from datetime import datetime

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


class StaffProfileResponse(BaseModel):
    """Who a staff member is, for the console's header."""

    id: uuid.UUID
    name: str
    role: str
    establishment_id: uuid.UUID


class StaffNameResponse(BaseModel):
    id: uuid.UUID
    name: str
    role: str


class StaffNamesResponse(BaseModel):
    staff: list[StaffNameResponse]
