"""Messages about an appointment: confirmation, cancellation and reschedule notices, reminders (no I/O).

Each renders for one channel: email templates `<kind>.<lang>.txt`, SMS ones `<kind>.sms.<lang>.txt`.

A booking made without an account goes to an address nobody proved, with names its booker typed: its
messages name nobody (`named=False`), so that they carry no text of the booker's choosing to whoever
owns the address; the clinic still sees the names in its console.
"""

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Self

from services.notifications.rendering import (
    RenderedMessage,
    cancel_url,
    confirm_url,
    local_date_time,
    render,
    template_for,
)
from shared.contracts.accounts import Channel
from shared.contracts.appointments import AppointmentBooked, AppointmentCancelled, AppointmentRescheduled

AppointmentEvent = AppointmentBooked | AppointmentCancelled | AppointmentRescheduled


@dataclass(frozen=True)
class AppointmentDetails:
    """What a message says about an appointment; a reminder row keeps it (`stored()`) until it is sent."""

    appointment_id: uuid.UUID
    starts_at: datetime
    first_name: str
    last_name: str
    service_fr: str
    service_en: str
    place_name: str
    address: str
    city: str
    postal_code: str
    timezone: str
    language: str

    @classmethod
    def of(cls, event: AppointmentEvent, *, named: bool) -> Self:
        """`named`: booked from an account (its holder's verified contact or a person they added)."""
        return cls(
            appointment_id=event.appointment_id,
            starts_at=event.starts_at,
            first_name=event.patient.first_name if named else "",
            last_name=event.patient.last_name if named else "",
            service_fr=event.service.name_fr,
            service_en=event.service.name_en,
            place_name=event.place.name,
            address=event.place.address,
            city=event.place.city,
            postal_code=event.place.postal_code,
            timezone=event.place.timezone,
            language=event.language,
        )

    def stored(self) -> dict[str, str]:
        """The JSON form, without the id and start time (columns of their own)."""
        # Not dataclasses.asdict: it deep-copies every field, and the values are all plain strings.
        return {field.name: getattr(self, field.name) for field in _STORED_FIELDS}

    @classmethod
    def from_stored(cls, appointment_id: uuid.UUID, starts_at: datetime, stored: dict[str, str]) -> Self:
        return cls(appointment_id=appointment_id, starts_at=starts_at, **stored)

    def context(self) -> dict[str, Any]:
        date, time = local_date_time(self.starts_at, self.timezone, self.language)
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "service": self.service_fr if self.language == "fr" else self.service_en,
            "date": date,
            "time": time,
            "place": {
                "name": self.place_name,
                "address": self.address,
                "city": self.city,
                "postal_code": self.postal_code,
            },
        }


_STORED_FIELDS = [field for field in fields(AppointmentDetails) if field.name not in ("appointment_id", "starts_at")]


def booking_confirmation(event: AppointmentBooked, portal_base_url: str, channel: Channel = "email") -> RenderedMessage:
    context = AppointmentDetails.of(event, named=event.account_id is not None).context()
    context["cancel_url"] = cancel_url(portal_base_url, event.appointment_id, event.manage_token)
    return render(template_for("appointment_booked", channel), event.language, context)


def cancellation_notice(
    event: AppointmentCancelled, portal_base_url: str, channel: Channel, *, named: bool
) -> RenderedMessage:
    context = AppointmentDetails.of(event, named=named).context()
    context["by_clinic"] = event.cancelled_by == "staff"
    context["portal_url"] = portal_base_url
    return render(template_for("appointment_cancelled", channel), event.language, context)


def reschedule_notice(
    event: AppointmentRescheduled, portal_base_url: str, channel: Channel, *, named: bool
) -> RenderedMessage:
    details = AppointmentDetails.of(event, named=named)
    context = details.context()
    context["old_date"], context["old_time"] = local_date_time(event.old_starts_at, details.timezone, event.language)
    context["confirm_url"] = confirm_url(portal_base_url, event.appointment_id, event.manage_token)
    context["cancel_url"] = cancel_url(portal_base_url, event.appointment_id, event.manage_token)
    return render(template_for("appointment_rescheduled", channel), event.language, context)


def reminder(details: AppointmentDetails, manage_token: str, portal_base_url: str, channel: Channel) -> RenderedMessage:
    context = details.context()
    context["confirm_url"] = confirm_url(portal_base_url, details.appointment_id, manage_token)
    context["cancel_url"] = cancel_url(portal_base_url, details.appointment_id, manage_token)
    return render(template_for("appointment_reminder", channel), details.language, context)
