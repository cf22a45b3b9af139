import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.contact import PersonName
from shared.nam import Nam
from shared.request_models import BirthDate, RequestModel

Sex = Literal["F", "M", "X"]


class _Strict(RequestModel):
    model_config = ConfigDict(extra="forbid")


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
