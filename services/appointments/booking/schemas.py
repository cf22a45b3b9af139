"""Requests and responses of booking: an appointment as citizens book, manage and read it."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contact import Email, PersonName, Phone
from shared.nam import Nam
from shared.request_models import BirthDate, RequestModel

# As accounts stores it (the citizen's choice, X included). The clinic's validation API takes F or M only
# (the two a NAM encodes): the console pre-selects those and leaves X for the clerk to settle with the card.
Sex = Literal["F", "M", "X"]


class BookAppointmentRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    slot_id: uuid.UUID
    first_name: PersonName
    last_name: PersonName
    email: Email | None = None
    phone: Phone | None = None
    language: Literal["fr", "en"] = "fr"
    # Optional: with both, the appointment joins the patient's account history once a clinic validates them.
    birth_date: BirthDate | None = None
    nam: Nam | None = None


class BookForPersonRequest(RequestModel):
    """Composed by the gateway from the signed-in account's data; never taken from a client as is."""

    model_config = ConfigDict(extra="forbid")

    slot_id: uuid.UUID
    person_id: uuid.UUID
    first_name: PersonName
    last_name: PersonName
    birth_date: BirthDate | None = None
    email: Email | None = None
    phone: Phone | None = None
    language: Literal["fr", "en"] = "fr"
    notify_email: bool = True
    notify_sms: bool = False
    holder_name: PersonName | None = None
    sex: Sex | None = None  # the patient's, from the account; the clinic's identity window pre-selects it


class ManageAppointmentRequest(RequestModel):
    """For bookings made without an account, the token from the confirmation message."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)


class RescheduleAppointmentRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    slot_id: uuid.UUID
    token: str | None = Field(default=None, min_length=1, max_length=200)


class PlaceResponse(BaseModel):
    establishment_id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    timezone: str


class ServiceResponse(BaseModel):
    service_id: uuid.UUID
    name_fr: str
    name_en: str


class AppointmentResponse(BaseModel):
    id: uuid.UUID
    slot_id: uuid.UUID
    status: str
    starts_at: datetime
    ends_at: datetime
    place: PlaceResponse
    service: ServiceResponse
    person_id: uuid.UUID | None = None
    first_name: str
    last_name: str
    language: str
    confirmed: bool = False
    # The clinic's rules: a citizen may cancel or move online until changeable_until (cancel_cutoff_hours before
    # the start; null once the appointment can no longer change), then calls clinic_phone.
    cancel_cutoff_hours: int = 0
    changeable_until: datetime | None = None
    clinic_phone: str | None = None
    # What to bring or do before the visit.
    instructions_fr: str | None = None
    instructions_en: str | None = None


class MyAppointmentsResponse(BaseModel):
    upcoming: list[AppointmentResponse]
    past: list[AppointmentResponse]


class BookedAppointmentResponse(AppointmentResponse):
    # Shown once to whoever booked without an account: it is what lets them cancel later.
    manage_token: str


class BookForCallerRequest(RequestModel):
    """Staff booking for someone on the phone or at the desk: a booking without an account."""

    model_config = ConfigDict(extra="forbid")

    slot_id: uuid.UUID
    first_name: PersonName
    last_name: PersonName
    birth_date: BirthDate | None = None
    sex: Sex | None = None
    nam: Nam | None = None
    email: Email | None = None
    phone: Phone | None = None
    language: Literal["fr", "en"] = "fr"
    notify_sms: bool = False  # with both an e-mail and a mobile: the caller wants text messages too
    # A repeated submit (a double click, a reload) answers the same booking instead of making a second one.
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class RescheduleForCallerRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    slot_id: uuid.UUID


class CallerBookingResponse(AppointmentResponse):
    """The booking as the clerk confirms it to the caller (the instructions to tell them included)."""

    service_name_fr: str
    service_name_en: str
    source: str
    booked_by_staff_id: uuid.UUID | None = None
