"""Requests and responses of the catalogue: establishments, free slots, staff schedules and the nearby search."""

import uuid
from datetime import date, datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.appointments.booking.schemas import ServiceResponse
from shared.request_models import RequestModel

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Hours = tuple[time, time]


class ScheduleException(RequestModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    # Different opening hours that day, e.g. [["08:00", "12:00"]]; none means closed.
    hours: list[Hours] = Field(default_factory=list, max_length=8)


class CreateScheduleRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    service_id: uuid.UUID
    weekdays: list[Weekday] = Field(min_length=1, max_length=7)
    start_time: time
    end_time: time
    slot_minutes: int = Field(ge=5, le=480)
    capacity: int | None = Field(default=None, ge=1, le=1000)  # none: the service's default capacity
    valid_from: date
    valid_to: date
    exceptions: list[ScheduleException] = Field(default_factory=list, max_length=400)


class ScheduleResponse(BaseModel):
    id: uuid.UUID
    service_id: uuid.UUID
    weekdays: list[Weekday]
    start_time: time
    end_time: time
    slot_minutes: int
    capacity: int
    valid_from: date
    valid_to: date
    exceptions: list[ScheduleException]
    created_at: datetime


class CreatedScheduleResponse(ScheduleResponse):
    slots_created: int  # new slots; 0 when the same schedule was posted before
    slots_total: int  # future slots the schedule opens, new or already there


class StaffEstablishmentResponse(BaseModel):
    """The staff member's own establishment, for the console's header."""

    id: uuid.UUID
    name: str
    timezone: str


class ServiceOfferedResponse(BaseModel):
    id: uuid.UUID
    name_fr: str
    name_en: str
    duration_minutes: int
    # The clinic's rules, which its manager sets (establishments/).
    default_capacity: int = 1
    cancel_cutoff_hours: int = 0
    instructions_fr: str | None = None
    instructions_en: str | None = None


class SearchEstablishment(BaseModel):
    id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    region: str | None
    phone: str | None
    latitude: float
    longitude: float
    opening_hours: dict[str, list[list[str]]]


class SearchService(BaseModel):
    service_id: uuid.UUID
    name_fr: str
    name_en: str
    duration_minutes: int
    earliest_free_slot: datetime
    free_slots: int  # slots with at least one seat left in the searched range


class SearchResult(BaseModel):
    establishment: SearchEstablishment
    distance_km: float
    earliest_free_slot: datetime
    services: list[SearchService]


class SearchResponse(BaseModel):
    total: int  # establishments matching, across all pages
    limit: int
    offset: int
    date_from: datetime
    date_to: datetime
    results: list[SearchResult]


class OfferedServiceResponse(BaseModel):
    """A service and where it is offered: what the portal's slot picker shows above the times."""

    service_id: uuid.UUID
    name_fr: str
    name_en: str
    duration_minutes: int
    establishment: SearchEstablishment


class EstablishmentResponse(BaseModel):
    id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    latitude: float
    longitude: float
    services: list[ServiceResponse]


class SlotResponse(BaseModel):
    id: uuid.UUID
    service_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    seats_left: int
