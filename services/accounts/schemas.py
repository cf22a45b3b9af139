import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contact import Email, PersonName, Phone
from shared.nam import Nam
from shared.request_models import BirthDate, RequestModel

Sex = Literal["F", "M", "X"]
Language = Literal["fr", "en"]
# Bounded so a huge body cannot make argon2 hash megabytes; the policy itself lives in domain.py.
Password = str


class _Strict(RequestModel):
    model_config = ConfigDict(extra="forbid")


class RegisterAccountRequest(_Strict):
    first_name: PersonName
    last_name: PersonName
    birth_date: BirthDate
    sex: Sex
    nam: Nam | None = None
    email: Email | None = None
    phone: Phone | None = None
    language: Language = "fr"
    password: str = Field(max_length=1000)


class ChallengeResponse(BaseModel):
    challenge_id: uuid.UUID
    channel: Literal["email", "sms"]
    sent_to: str
    warnings: list[str] = []


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


class ResetPasswordRequest(_Strict):
    identifier: str = Field(min_length=1, max_length=254)
    new_password: str = Field(max_length=1000)


class ProfileResponse(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    nam: str | None
    email: str | None
    phone: str | None
    language: str
    notify_email: bool
    notify_sms: bool
    address: str | None
    city: str | None
    postal_code: str | None


class UpdateProfileRequest(_Strict):
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    birth_date: BirthDate | None = None
    sex: Sex | None = None
    language: Language | None = None
    notify_email: bool | None = None
    notify_sms: bool | None = None
    address: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, pattern=r"^[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d$")


class RequestSensitiveChangeRequest(_Strict):
    kind: Literal["email", "phone", "password", "nam"]
    new_value: str = Field(min_length=1, max_length=1000)
    current_password: str = Field(min_length=1, max_length=1000)


class DependantRequest(_Strict):
    first_name: PersonName
    last_name: PersonName
    birth_date: BirthDate
    sex: Sex
    nam: Nam | None = None


class DependantResponse(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    nam: str | None
    warnings: list[str] = []


class BookingFormResponse(BaseModel):
    person_id: uuid.UUID
    is_dependant: bool
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    nam: str | None
    email: str | None
    phone: str | None
    language: str
    notify_email: bool
    notify_sms: bool
    # Shared with the clinic by the booking: the association window names the account holder.
    holder_name: str


class DeleteAccountRequest(_Strict):
    password: str = Field(min_length=1, max_length=1000)


class StaffLogInRequest(_Strict):
    email: Email
    password: str = Field(min_length=1, max_length=1000)


class StaffProfileResponse(BaseModel):
    """Who a staff member is, for the console's header."""

    id: uuid.UUID
    name: str
    role: str
    establishment_id: uuid.UUID
