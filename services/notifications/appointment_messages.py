"""Messages about an appointment: confirmation, cancellation and reschedule notices, reminders (no I/O).

Each renders for one channel: email templates `<kind>.<lang>.txt`, SMS ones `<kind>.sms.<lang>.txt`.

A booking made without an account goes to an address nobody proved, with names its booker typed: its
messages name nobody (`named=False`), so that they carry no text of the booker's choosing to whoever
owns the address; the clinic still sees the names in its console.
"""

from typing import Any

from services.notifications.rendering import (
    cancel_url,
    confirm_url,
    local_date_time,
    render,
    template_for,
)
from services.notifications.rules import AppointmentDetails, RenderedMessage, visit_instructions
from shared.contracts.accounts import Channel
from shared.contracts.appointments import AppointmentBooked, AppointmentCancelled, AppointmentRescheduled


def template_values(details: AppointmentDetails) -> dict[str, Any]:
    """What the appointment templates say about the appointment, in its language and its place's time."""
    date, time = local_date_time(details.starts_at, details.timezone, details.language)
    return {
        "first_name": details.first_name,
        "last_name": details.last_name,
        "service": details.service_fr if details.language == "fr" else details.service_en,
        "date": date,
        "time": time,
        "place": {
            "name": details.place_name,
            "address": details.address,
            "city": details.city,
            "postal_code": details.postal_code,
        },
    }


def booking_confirmation(event: AppointmentBooked, portal_base_url: str, channel: Channel = "email") -> RenderedMessage:
    context = template_values(AppointmentDetails.of(event, named=event.account_id is not None))
    context["cancel_url"] = cancel_url(portal_base_url, event.appointment_id, event.manage_token)
    context["instructions"] = visit_instructions(event.service, event.language, channel)
    return render(template_for("appointment_booked", channel), event.language, context)


def cancellation_notice(
    event: AppointmentCancelled, portal_base_url: str, channel: Channel, *, named: bool
) -> RenderedMessage:
    context = template_values(AppointmentDetails.of(event, named=named))
    context["by_clinic"] = event.cancelled_by == "staff"
    context["portal_url"] = portal_base_url
    return render(template_for("appointment_cancelled", channel), event.language, context)


def reschedule_notice(
    event: AppointmentRescheduled, portal_base_url: str, channel: Channel, *, named: bool
) -> RenderedMessage:
    details = AppointmentDetails.of(event, named=named)
    context = template_values(details)
    context["old_date"], context["old_time"] = local_date_time(event.old_starts_at, details.timezone, event.language)
    context["confirm_url"] = confirm_url(portal_base_url, event.appointment_id, event.manage_token)
    context["cancel_url"] = cancel_url(portal_base_url, event.appointment_id, event.manage_token)
    context["instructions"] = visit_instructions(event.service, event.language, channel)
    return render(template_for("appointment_rescheduled", channel), event.language, context)


def reminder(details: AppointmentDetails, manage_token: str, portal_base_url: str, channel: Channel) -> RenderedMessage:
    context = template_values(details)
    context["confirm_url"] = confirm_url(portal_base_url, details.appointment_id, manage_token)
    context["cancel_url"] = cancel_url(portal_base_url, details.appointment_id, manage_token)
    return render(template_for("appointment_reminder", channel), details.language, context)
