"""Appointment events as the appointments service publishes them, for the notifications tests."""

import uuid
from datetime import datetime, timedelta

from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    Channel,
    PatientContactV1,
    PlaceV1,
    ServiceOfferedV1,
)

PLACE = PlaceV1(
    establishment_id=uuid.UUID("00000000-0000-0000-0000-0000000000e1"),
    name="CLSC de Verdun",
    address="400, rue de l'Église",
    city="Montréal",
    postal_code="H4G 2M4",
    timezone="America/Montreal",
)
SERVICE = ServiceOfferedV1(service_id=uuid.uuid4(), name_fr="Prise de sang", name_en="Blood test")
EMAIL = "lea.roy@example.org"
PHONE = "+15145550123"


def patient(email: str | None = EMAIL, phone: str | None = PHONE) -> PatientContactV1:
    return PatientContactV1(first_name="Léa", last_name="Roy", email=email, phone=phone)


def booked(
    starts_at: datetime,
    notify_channels: tuple[Channel, ...] = ("email",),
    *,
    appointment_id: uuid.UUID | None = None,
    contact: PatientContactV1 | None = None,
    language: str = "fr",
    manage_token: str = "manage-token-1",
    account_id: uuid.UUID | None = None,
) -> AppointmentBooked:
    return AppointmentBooked(
        appointment_id=appointment_id or uuid.uuid4(),
        slot_id=uuid.uuid4(),
        account_id=account_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=15),
        place=PLACE,
        service=SERVICE,
        patient=contact or patient(),
        language=language,
        manage_token=manage_token,
        notify_channels=notify_channels,
    )


def cancelled(booking: AppointmentBooked, cancelled_by: str = "patient") -> AppointmentCancelled:
    return AppointmentCancelled(
        appointment_id=booking.appointment_id,
        slot_id=booking.slot_id,
        starts_at=booking.starts_at,
        place=booking.place,
        service=booking.service,
        patient=booking.patient,
        language=booking.language,
        notify_channels=booking.notify_channels,
        cancelled_by=cancelled_by,
    )


def rescheduled(booking: AppointmentBooked, starts_at: datetime, manage_token: str) -> AppointmentRescheduled:
    return AppointmentRescheduled(
        appointment_id=booking.appointment_id,
        old_slot_id=booking.slot_id,
        old_starts_at=booking.starts_at,
        slot_id=uuid.uuid4(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=15),
        place=booking.place,
        service=booking.service,
        patient=booking.patient,
        language=booking.language,
        manage_token=manage_token,
        notify_channels=booking.notify_channels,
    )
