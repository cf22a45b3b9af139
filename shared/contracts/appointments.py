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


Channel = Literal["email", "sms"]


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
    # Lets the notification carry working confirm/cancel links, with or without an account.
    manage_token: str
    # Added compatibly to v1 (defaults keep older payloads valid):
    person_id: uuid.UUID | None = None  # holder or dependant, when booked from an account
    notify_channels: tuple[Channel, ...] = ("email",)  # the patient's preference: where reminders go


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
    notify_channels: tuple[Channel, ...] = ("email",)
    cancelled_by: Literal["patient", "staff"] = "patient"


class AppointmentRescheduled(Contract):
    producer: ClassVar[str] = "appointments"
    event_type: ClassVar[str] = "AppointmentRescheduled"
    version: ClassVar[int] = 1

    appointment_id: uuid.UUID
    old_slot_id: uuid.UUID
    old_starts_at: datetime
    slot_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    place: PlaceV1
    service: ServiceOfferedV1
    patient: PatientContactV1
    language: Literal["fr", "en"]
    manage_token: str
    notify_channels: tuple[Channel, ...] = ("email",)


class _Attendance(Contract):
    appointment_id: uuid.UUID
    establishment_id: uuid.UUID
    at: datetime


class PatientArrived(_Attendance):
    producer: ClassVar[str] = "appointments"
    event_type: ClassVar[str] = "PatientArrived"
    version: ClassVar[int] = 1


class AppointmentCompleted(_Attendance):
    producer: ClassVar[str] = "appointments"
    event_type: ClassVar[str] = "AppointmentCompleted"
    version: ClassVar[int] = 1


class NoShowRecorded(_Attendance):
    producer: ClassVar[str] = "appointments"
    event_type: ClassVar[str] = "NoShowRecorded"
    version: ClassVar[int] = 1


class PatientRecordsViewed(Contract):
    """A staff member read patient records (a day's list, or one appointment): verification's audit log
    keeps who read what, where and when. Ids only."""

    producer: ClassVar[str] = "appointments"
    event_type: ClassVar[str] = "PatientRecordsViewed"
    version: ClassVar[int] = 1

    staff_id: uuid.UUID
    establishment_id: uuid.UUID
    view: Literal["day_list", "appointment"]
    appointment_ids: list[uuid.UUID]
    at: datetime
