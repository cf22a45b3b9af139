"""Dates and times as citizens read them: Montréal time, in French or English, written out (never ISO)."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

LOCALES = {"fr": "fr_CA", "en": "en_CA"}
TZ = ZoneInfo("America/Montreal")
DAYS_SHOWN = 5
NBSP = "\u00a0"


def local(starts_at: str | datetime) -> datetime:
    """An instant of the API (ISO text or datetime) in Montréal time."""
    moment = datetime.fromisoformat(starts_at) if isinstance(starts_at, str) else starts_at
    return moment.astimezone(TZ)


def day_label(day: date, lang: str) -> str:
    """'jeudi 10 décembre 2026' / 'Thursday, December 10, 2026'."""
    return format_date(day, format="full", locale=LOCALES[lang])


def time_label(moment: datetime | time, lang: str) -> str:
    """'8 h', '10 h 30' / '10:30 a.m.', with no-break spaces: a time never breaks across two lines.

    French as Québec writes it (the Office québécois de la langue française): no leading zero, and no
    minutes on the hour; Babel's fr_CA gives '08 h 00'."""
    if lang == "fr":
        written = f"{moment.hour} h" if moment.minute == 0 else f"{moment.hour} h {moment.minute:02d}"
    else:
        written = format_time(moment, format="short", locale=LOCALES[lang])
    return written.replace(" ", NBSP).replace("\u202f", NBSP)


def written_when(starts_at: str | datetime, lang: str) -> str:
    """'jeudi 10 décembre 2026 à 10 h 30' / 'Thursday, December 10, 2026 at 10:30 a.m.'."""
    moment = local(starts_at)
    joiner = " à " if lang == "fr" else " at "
    return day_label(moment.date(), lang) + joiner + time_label(moment, lang)


def today() -> date:
    return datetime.now(TZ).date()


def start_of(day: date) -> datetime:
    """Midnight of a Montréal day, as an aware instant (the API's date_from / date_to)."""
    return datetime.combine(day, time(0), TZ)


def end_of(day: date) -> datetime:
    return start_of(day + timedelta(days=1))


def slot_days(slots: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    days: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for slot in slots:
        moment = local(slot["starts_at"])
        label = format_date(moment, format="full", locale=LOCALES[lang])
        days[label].append({**slot, "time": time_label(moment, lang)})
    return [{"label": label, "slots": day_slots} for label, day_slots in list(days.items())[:DAYS_SHOWN]]


def when(starts_at: str, lang: str) -> str:
    moment = local(starts_at)
    return f"{format_date(moment, 'full', locale=LOCALES[lang])} · {time_label(moment, lang)}"


def birth_date(value: str | None, lang: str) -> str:
    """A date of birth written out ('29 février 2016' / 'February 29, 2016'); empty when unknown or unreadable."""
    if not value:
        return ""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return ""
    return format_date(day, format="long", locale=LOCALES[lang])
