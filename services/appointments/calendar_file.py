"""An appointment as an iCalendar (.ics) file, so citizens can add it to their calendar."""

from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar, Event


def appointment_ics(row: Any, language: str) -> bytes:
    service = row.name_fr if language == "fr" else row.name_en
    calendar = Calendar()
    calendar.add("prodid", "-//Rendez-vous sante//appointments//FR")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{row.id}@rendezvous-sante")
    # Required by RFC 5545 (3.6.1); without a METHOD it is when this file was made. Calendars use it to tell a
    # newer copy of the event (a rescheduled time) from the one they hold.
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", row.starts_at)
    event.add("dtend", row.ends_at)
    event.add("summary", f"{service} — {row.name}")
    event.add("location", f"{row.name}, {row.address}, {row.city} {row.postal_code}")
    event.add("status", "CANCELLED" if row.status == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
