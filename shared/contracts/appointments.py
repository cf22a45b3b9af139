"""Events published by the appointments service."""

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel

from shared.messages import Contract


class PlaceV1(BaseModel):
    establishment_id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    timezone: str


class ServiceOfferedV1(BaseModel):
    service_id: uuid.UUID
    name_fr: str
    name_en: str


class PatientContactV1(BaseModel):
    first_name: str
    last_name: str
    email: str | None
    phone: str | None


class AppointmentBooked(Contract):
    producer: ClassVar[str] = "appointments"
    event_type: ClassVar[str] = "AppointmentBooked"
    version: ClassVar[int] = 1

    appointment_id: uuid.UUID
    slot_id: uuid.UUID
    account_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
    place: PlaceV1
    service: ServiceOfferedV1
    patient: PatientContactV1
    language: Literal["fr", "en"]
    # Lets the notification carry a working cancel link for a booking made without an account.
    manage_token: str


class AppointmentCancelled(Contract):
    producer: ClassVar[str] = "appointments"
    event_type: ClassVar[str] = "AppointmentCancelled"
    version: ClassVar[int] = 1

    appointment_id: uuid.UUID
    slot_id: uuid.UUID
    starts_at: datetime
    place: PlaceV1
    service: ServiceOfferedV1
    patient: PatientContactV1
    language: Literal["fr", "en"]
