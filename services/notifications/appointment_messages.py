"""Messages about an appointment: confirmation, cancellation and reschedule notices, reminders, and the
offer of a seat freed for someone on a waitlist (no I/O).

Each renders for one channel: email templates `<kind>.<lang>.txt`, SMS ones `<kind>.sms.<lang>.txt`.

A booking made without an account goes to an address nobody proved, with names its booker typed: its
messages name nobody (`named=False`), so that they carry no text of the booker's choosing to whoever
owns the address; the clinic still sees the names in its console.
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from services.notifications.rendering import (
    calendar_url,
    cancel_url,
    confirm_url,
    local_date_time,
    render,
    template_for,
)
from services.notifications.rules import AppointmentDetails, RenderedMessage, relative_day, visit_instructions
from shared.contracts.accounts import Channel
from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    WaitlistSeatOffered,
)


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
    context["calendar_url"] = calendar_url(portal_base_url, event.appointment_id, event.manage_token)
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
    # As the confirmation and the grouped reminder do: a reminder is read when there is still time to act on them.
    context["instructions"] = details.instructions(channel)
    return render(template_for("appointment_reminder", channel), details.language, context)


def day_reminder(
    appointments: Sequence[tuple[AppointmentDetails, str]], portal_base_url: str, channel: Channel, now: datetime
) -> RenderedMessage:
    """One reminder of the appointments of one day going to one destination, each as (details, manage token),
    in the order given; alone, it is `reminder`. Listed together, each says when, what, where, for whom, the
    clinic's instructions and its own links; the message is in the first one's language."""
    first, first_token = appointments[0]
    if len(appointments) == 1:
        return reminder(first, first_token, portal_base_url, channel)
    language = first.language
    listed = []
    for details, token in appointments:
        # Each line in the message's language, whatever language its own booking chose.
        values = template_values(replace(details, language=language))
        values["instructions"] = replace(details, language=language).instructions(channel)
        values["confirm_url"] = confirm_url(portal_base_url, details.appointment_id, token)
        values["cancel_url"] = cancel_url(portal_base_url, details.appointment_id, token)
        listed.append(values)
    context: dict[str, Any] = {
        "appointments": listed,
        "count": len(listed),
        "date": listed[0]["date"],
        "when": relative_day(first.local_day, now, first.timezone),
    }
    return render(template_for("appointment_reminders", channel), language, context)


def offer_url(portal_base_url: str, offer_id: object, token: str, language: str) -> str:
    """The portal's page of a seat offered from the waitlist, authorised by the offer's token (no login needed),
    in the message's language whatever the browser's."""
    return f"{portal_base_url.rstrip('/')}/waitlist/offers/{offer_id}?token={quote(token)}&lang={language}"


def seat_offer(event: WaitlistSeatOffered, portal_base_url: str, channel: Channel, now: datetime) -> RenderedMessage:
    """ "A seat has opened up": the seat, where and when, how long it is held and the link that accepts or declines
    it. Like a booking made without an account, an entry made without one names nobody."""
    named = event.account_id is not None
    context: dict[str, Any] = {
        "first_name": event.patient.first_name if named else "",
        "last_name": event.patient.last_name if named else "",
        "service": event.service.name_fr if event.language == "fr" else event.service.name_en,
        "place": {
            "name": event.place.name,
            "address": event.place.address,
            "city": event.place.city,
            "postal_code": event.place.postal_code,
        },
        "offer_url": offer_url(portal_base_url, event.offer_id, event.offer_token, event.language),
        "held_until": held_until(event.expires_at, event.place.timezone, event.language, now),
    }
    context["date"], context["time"] = local_date_time(event.starts_at, event.place.timezone, event.language)
    return render(template_for("waitlist_seat_offered", channel), event.language, context)


def held_until(expires_at: datetime, timezone: str, language: str, now: datetime) -> str:
    """The hold's end at the place: its time alone when it ends today there, else its date and time (a hold of
    up to a day, offered late in the evening)."""
    date, time = local_date_time(expires_at, timezone, language)
    zone = ZoneInfo(timezone)
    if expires_at.astimezone(zone).date() == now.astimezone(zone).date():
        return time
    return f"{date} à {time}" if language == "fr" else f"{date} at {time}"
