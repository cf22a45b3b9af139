"""Dates and times as citizens read them: Montréal time, in French or English."""

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

LOCALES = {"fr": "fr_CA", "en": "en_CA"}
TZ = ZoneInfo("America/Montreal")
DAYS_SHOWN = 5


def slot_days(slots: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    days: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for slot in slots:
        local = datetime.fromisoformat(slot["starts_at"]).astimezone(TZ)
        label = format_date(local, format="full", locale=LOCALES[lang])
        days[label].append({**slot, "time": format_time(local, format="short", locale=LOCALES[lang])})
    return [{"label": label, "slots": day_slots} for label, day_slots in list(days.items())[:DAYS_SHOWN]]


def when(starts_at: str, lang: str) -> str:
    local = datetime.fromisoformat(starts_at).astimezone(TZ)
    return f"{format_date(local, 'full', locale=LOCALES[lang])} · {format_time(local, 'short', locale=LOCALES[lang])}"
