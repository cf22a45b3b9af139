"""Renders messages from templates, in the patient's language and the place's time zone (no I/O)."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from shared.contracts.appointments import AppointmentBooked

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=False,  # noqa: S701 - plain-text email bodies, never HTML
    keep_trailing_newline=True,
)
LOCALES = {"fr": "fr_CA", "en": "en_CA"}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str


def render(template_name: str, language: str, context: dict[str, object]) -> RenderedMessage:
    template = _templates.get_template(f"{template_name}.{language}.txt")
    ctx = template.new_context(context)
    subject = "".join(template.blocks["subject"](ctx)).strip()
    body = "".join(template.blocks["body"](ctx))
    return RenderedMessage(subject=subject, body=body)


def local_date_time(moment: datetime, timezone: str, language: str) -> tuple[str, str]:
    local = moment.astimezone(ZoneInfo(timezone))
    locale = LOCALES[language]
    return format_date(local, format="full", locale=locale), format_time(local, format="short", locale=locale)


def cancel_url(portal_base_url: str, appointment_id: object, token: str) -> str:
    return f"{portal_base_url.rstrip('/')}/appointments/{appointment_id}/cancel?token={quote(token)}"


def booking_confirmation(event: AppointmentBooked, portal_base_url: str) -> RenderedMessage:
    date, time = local_date_time(event.starts_at, event.place.timezone, event.language)
    return render(
        "appointment_booked",
        event.language,
        {
            "first_name": event.patient.first_name,
            "last_name": event.patient.last_name,
            "service": event.service.name_fr if event.language == "fr" else event.service.name_en,
            "date": date,
            "time": time,
            "place": event.place,
            "cancel_url": cancel_url(portal_base_url, event.appointment_id, event.manage_token),
        },
    )
