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
    # Added compatibly: the clinic's instructions for the visit (what to bring or do before), per language.
    instructions_fr: str | None = None
    instructions_en: str | None = None


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
    # Who made it: the citizen on the web, or a clerk for a caller on the phone or at the desk ("admin", as
    # Clic Santé's FHIR guide tags it), with that clerk for the audit log.
    source: Literal["web", "admin"] = "web"
    booked_by_staff_id: uuid.UUID | None = None

    # Verification keeps bookings made from an account (its clinic patients) or by a clerk (the audit log), and
    # ignores the rest, most of a rush: with these topics the broker leaves them out of its queue.
    routing_topics: ClassVar[tuple[str, ...]] = ("account", "clerk", "anonymous")

    def routing_topic(self) -> str:
        if self.account_id is not None:
            return "account"
        return "clerk" if self.source == "admin" else "anonymous"


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
    staff_id: uuid.UUID | None = None  # the clerk, when cancelled_by is "staff"


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
    staff_id: uuid.UUID | None = None  # the clerk who moved it for the caller


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
    # In which capacity they read (issue 22: a citizen sees the role, never the person); absent from earlier events.
    staff_role: Literal["clerk", "manager"] | None = None


class EstablishmentChanged(Contract):
    """An operator created or edited an establishment, or its manager changed a service's clinic rules:
    verification's audit log keeps who did it (ids only)."""

    producer: ClassVar[str] = "appointments"
    event_type: ClassVar[str] = "EstablishmentChanged"
    version: ClassVar[int] = 1

    action: Literal["created", "updated", "service_added", "rules_changed"]
    actor_id: uuid.UUID
    actor_role: Literal["manager", "operator"]
    establishment_id: uuid.UUID
    service_id: uuid.UUID | None = None
    at: datetime


class WaitlistSeatOffered(Contract):
    """A freed seat is held for the first matching person on a service's waitlist until `expires_at`:
    notifications tells them (e-mail and/or SMS) with a link that accepts or declines it."""

    producer: ClassVar[str] = "appointments"
    event_type: ClassVar[str] = "WaitlistSeatOffered"
    version: ClassVar[int] = 1

    offer_id: uuid.UUID
    entry_id: uuid.UUID
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    slot_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime
    place: PlaceV1
    service: ServiceOfferedV1
    patient: PatientContactV1
    language: Literal["fr", "en"]
    notify_channels: tuple[Channel, ...] = ("email",)
    # The secret of the offer's link (/waitlist/offers/{offer_id}?token=…): the only way to act on it
    # without signing in. Only its hash is stored by appointments.
    offer_token: str
