"""An appointment as an iCalendar (.ics) file, so citizens can add it to their calendar."""

from typing import Any

from icalendar import Calendar, Event


def appointment_ics(row: Any, language: str) -> bytes:
    service = row.name_fr if language == "fr" else row.name_en
    calendar = Calendar()
    calendar.add("prodid", "-//Rendez-vous sante//appointments//FR")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{row.id}@rendezvous-sante")
    event.add("dtstart", row.starts_at)
    event.add("dtend", row.ends_at)
    event.add("summary", f"{service} — {row.name}")
    event.add("location", f"{row.name}, {row.address}, {row.city} {row.postal_code}")
    event.add("status", "CANCELLED" if row.status == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
