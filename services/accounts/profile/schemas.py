import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.accounts.family.schemas import Sex
from services.accounts.registration.schemas import Language
from shared.contact import PersonName
from shared.request_models import BirthDate, RequestModel


class _Strict(RequestModel):
    model_config = ConfigDict(extra="forbid")


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


class DeleteAccountRequest(_Strict):
    password: str = Field(min_length=1, max_length=1000)
