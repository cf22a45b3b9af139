"""The appointments service's part of the citizen's export, as JSON (the gateway composes the whole document)."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel


class ExportedService(BaseModel):
    service_id: uuid.UUID
    name_fr: str
    name_en: str


class ExportedPlace(BaseModel):
    establishment_id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    timezone: str


class ExportedAppointment(BaseModel):
    id: uuid.UUID
    slot_id: uuid.UUID
    account_id: uuid.UUID | None  # None: booked without an account, in the history once a clinic validated the person
    person_id: uuid.UUID | None
    status: str  # FHIR R4 Appointment.status
    starts_at: datetime
    ends_at: datetime
    service: ExportedService
    place: ExportedPlace
    first_name: str
    last_name: str
    birth_date: date | None
    sex: str | None
    # The booker's contact: null when another account (a shared child's other parent) or no account booked it.
    email: str | None
    phone: str | None
    language: str  # as the history shows it
    notify_email: bool | None
    notify_sms: bool | None
    holder_name: str | None
    source: str  # web: booked by the citizen; admin: booked by the clinic for them
    created_at: datetime
    confirmed_at: datetime | None
    arrived_at: datetime | None
    noshow_at: datetime | None
    cancelled_at: datetime | None
    booked_without_account: bool


class ExportedWaitlistOffer(BaseModel):
    """A seat held for the entry: accepted, declined, let expire, or still open."""

    id: uuid.UUID
    entry_id: uuid.UUID
    slot_id: uuid.UUID
    status: str  # open | accepted | declined | expired
    starts_at: datetime
    ends_at: datetime
    offered_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    appointment_id: uuid.UUID | None


class ExportedWaitlistEntry(BaseModel):
    id: uuid.UUID
    service: ExportedService
    establishment_id: uuid.UUID
    establishment_name: str
    account_id: uuid.UUID | None
    person_id: uuid.UUID | None
    first_name: str
    last_name: str
    birth_date: date | None
    sex: str | None
    # The booker's contact: null when another account (a shared child's other parent) or no account made it.
    holder_name: str | None
    email: str | None
    phone: str | None
    language: str
    notify_email: bool | None
    notify_sms: bool | None
    from_date: date
    to_date: date
    times_of_day: list[str]  # morning | afternoon | evening
    status: str  # waiting | offered | booked | left | ended
    joined_at: datetime
    changed_at: datetime
    ended_reason: str | None  # once ended: dates_passed | offers_unanswered | dependant_removed
    offers: list[ExportedWaitlistOffer]


class AppointmentsExportResponse(BaseModel):
    holder_validated: bool
    appointments: list[ExportedAppointment]  # most recent first
    waitlist: list[ExportedWaitlistEntry]  # most recent first
