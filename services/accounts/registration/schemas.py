import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.accounts.family.schemas import Sex
from shared.contact import Email, PersonName, Phone
from shared.nam import Nam
from shared.request_models import BirthDate, RequestModel

Language = Literal["fr", "en"]


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
    # Bounded so a huge body cannot make argon2 hash megabytes; the policy itself lives in rules.py.
    password: str = Field(max_length=1000)


class ChallengeResponse(BaseModel):
    challenge_id: uuid.UUID
    channel: Literal["email", "sms"]
    sent_to: str
    warnings: list[str] = []


class ResetPasswordRequest(_Strict):
    identifier: str = Field(min_length=1, max_length=254)
    new_password: str = Field(max_length=1000)
