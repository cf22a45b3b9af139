"""Requests and responses of establishments: what operators create and edit, and a service's clinic rules."""

import uuid
from datetime import time
from typing import Annotated, Literal

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from shared.request_models import RequestModel

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def wall_clock(value: time) -> time:
    """A time on the establishment's wall clock: one with a UTC offset could not be compared with the others."""
    if value.tzinfo is not None:
        raise PydanticCustomError("time_parsing", "Invalid time (HH:MM)")
    return value


WallClock = Annotated[time, AfterValidator(wall_clock)]
# A day's openings, e.g. [["08:00", "12:00"], ["13:00", "16:00"]]; a day left out is closed.
OpeningHours = dict[Weekday, Annotated[list[tuple[WallClock, WallClock]], Field(max_length=4)]]


def canadian_phone(value: str) -> str:
    """A Canadian number, kept in E.164: the clinic's line citizens are told to call."""
    try:
        number = phonenumbers.parse(value, "CA")
    except phonenumbers.NumberParseException:
        raise PydanticCustomError("invalid_phone", "Invalid phone number") from None
    if not phonenumbers.is_valid_number_for_region(number, "CA"):
        raise PydanticCustomError("invalid_phone", "Invalid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _text(max_length: int) -> object:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


ClinicPhone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(canadian_phone)]
EstablishmentName = Annotated[str, _text(200)]
AddressLine = Annotated[str, _text(200)]
PlaceName = Annotated[str, _text(100)]
ServiceName = Annotated[str, _text(120)]
Instructions = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
CutoffHours = Annotated[int, Field(ge=0, le=168)]  # a week at most; 0: until the start


class ServiceRulesRequest(RequestModel):
    """The clinic's rules for one service: how late citizens may cancel or move online, and what to bring."""

    model_config = ConfigDict(extra="forbid")

    cancel_cutoff_hours: CutoffHours = 0
    instructions_fr: Instructions | None = None
    instructions_en: Instructions | None = None


class NewServiceRequest(ServiceRulesRequest):
    name_fr: ServiceName
    name_en: ServiceName
    duration_minutes: int = Field(ge=5, le=240)
    default_capacity: int = Field(default=1, ge=1, le=500)


class EstablishmentRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: EstablishmentName
    address: AddressLine
    city: PlaceName
    postal_code: str = Field(max_length=10)
    region: PlaceName
    phone: ClinicPhone
    opening_hours: OpeningHours = Field(default_factory=dict)


class CreateEstablishmentRequest(EstablishmentRequest):
    services: list[NewServiceRequest] = Field(default_factory=list, max_length=50)


class EstablishmentServiceResponse(BaseModel):
    id: uuid.UUID
    name_fr: str
    name_en: str
    duration_minutes: int
    default_capacity: int
    cancel_cutoff_hours: int
    instructions_fr: str | None
    instructions_en: str | None


class OperatorEstablishmentResponse(BaseModel):
    id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    region: str | None
    phone: str | None
    latitude: float
    longitude: float
    timezone: str
    opening_hours: dict[str, list[list[str]]]
    services: list[EstablishmentServiceResponse]
