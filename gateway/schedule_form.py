"""The manager's schedule form: what was typed (GOV.UK date inputs, 24-hour times written "8:00" or "8 h 00"),
each field's own refusal, the number of slots it would open, and the schedules in place written out."""

import re
from datetime import date, time, timedelta
from typing import Any

from gateway.web.dates import day_label, time_label
from gateway.web.texts import TEXTS

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED_DAYS = 3
# "8:00", "08:00", "8 h 00", "8h", "8 h", "13h30", "8.00"; seconds, if a browser adds them, are ignored.
TIME = re.compile(r"^\s*(\d{1,2})\s*(?:[:h.]\s*(\d{2})?)?(?::\d{2})?\s*$", re.IGNORECASE)
DATE_PARTS = ("day", "month", "year")


def typed_time(value: str) -> time | None:
    found = TIME.match(value.replace("\u00a0", " "))
    if not found:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def typed_date(form: Any, prefix: str) -> tuple[dict[str, str], date | None]:
    typed = {part: str(form.get(f"{prefix}-{part}", "")).strip()[:10] for part in DATE_PARTS}
    try:
        day = date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
    except ValueError:
        return typed, None
    return typed, day if 1900 <= day.year <= 2200 else None


def _whole(value: str, low: int, high: int) -> int | None:
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if low <= number <= high else None


def read(form: Any, lang: str) -> tuple[dict[str, Any], dict[str, str], dict[str, Any] | None]:
    """(what was typed, kept for the form; each field's refusal; the payload for appointments, None if refused)."""
    t = TEXTS[lang]
    values: dict[str, Any] = {
        "service_id": str(form.get("service_id", "")),
        "weekdays": [d for d in form.getlist("weekdays") if d in WEEKDAYS],
        "start_time": str(form.get("start_time", "")),
        "end_time": str(form.get("end_time", "")),
        "slot_minutes": str(form.get("slot_minutes", "")),
        "capacity": str(form.get("capacity", "")),
    }
    errors: dict[str, str] = {}
    if not values["weekdays"]:
        errors["weekdays"] = t["weekdays_missing"]
    start, end = typed_time(values["start_time"]), typed_time(values["end_time"])
    if start is None:
        errors["start_time"] = t["start_time_invalid"]
    if end is None:
        errors["end_time"] = t["end_time_invalid"]
    elif start is not None and end <= start:
        errors["end_time"] = t["end_before_start"]
    minutes = _whole(values["slot_minutes"], 5, 480)
    if minutes is None:
        errors["slot_minutes"] = t["slot_minutes_invalid"]
    capacity = _whole(values["capacity"], 1, 1000)
    if capacity is None:
        errors["capacity"] = t["capacity_invalid"]
    values["valid_from"], first = typed_date(form, "valid_from")
    values["valid_to"], last = typed_date(form, "valid_to")
    if first is None:
        errors["valid_from"] = t["valid_from_invalid"]
    if last is None:
        errors["valid_to"] = t["valid_to_invalid"]
    elif first is not None and last < first:
        errors["valid_to"] = t["valid_to_before"]
    closed: list[date] = []
    values["closed"] = []
    for n in range(1, CLOSED_DAYS + 1):
        typed, day = typed_date(form, f"closed-{n}")
        values["closed"].append(typed)
        if any(typed.values()):
            if day is None:
                errors.setdefault("closed_dates", t["closed_invalid"])
            else:
                closed.append(day)
    if errors or start is None or end is None or first is None or last is None:
        return values, errors, None
    payload = {
        "service_id": values["service_id"],
        "weekdays": values["weekdays"],
        "start_time": start.isoformat("minutes"),
        "end_time": end.isoformat("minutes"),
        "slot_minutes": minutes,
        "capacity": capacity,
        "valid_from": first.isoformat(),
        "valid_to": last.isoformat(),
        "exceptions": [{"date": d.isoformat(), "hours": []} for d in sorted(set(closed))],
    }
    return values, errors, payload


def slot_count(payload: dict[str, Any]) -> int:
    """How many slots the schedule opens (those already there are not opened twice, so possibly fewer)."""
    start, end = time.fromisoformat(payload["start_time"]), time.fromisoformat(payload["end_time"])
    per_day: int = ((end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)) // payload["slot_minutes"]
    closed = {e["date"] for e in payload["exceptions"]}
    day, last, days = date.fromisoformat(payload["valid_from"]), date.fromisoformat(payload["valid_to"]), 0
    while day <= last:
        if WEEKDAYS[day.weekday()] in payload["weekdays"] and day.isoformat() not in closed:
            days += 1
        day += timedelta(days=1)
    return days * max(per_day, 0)


def written(schedule: dict[str, Any], lang: str) -> dict[str, str]:
    """A schedule in words: its days, "8 h à 16 h, plages de 15 minutes, 3 places par plage", its period."""
    t = TEXTS[lang]
    capacity = int(schedule["capacity"])
    places = t["sched_places_one"] if capacity == 1 else t["sched_places_many"].format(n=capacity)
    closed = [day_label(date.fromisoformat(e["date"]), lang) for e in schedule.get("exceptions") or []]
    return {
        "days": ", ".join(t["wd_" + d] for d in schedule["weekdays"]),
        "hours": t["sched_hours"].format(
            start=time_label(time.fromisoformat(schedule["start_time"]), lang),
            end=time_label(time.fromisoformat(schedule["end_time"]), lang),
            minutes=schedule["slot_minutes"],
            capacity=places,
        ),
        "period": t["sched_period"].format(
            start=day_label(date.fromisoformat(schedule["valid_from"]), lang),
            end=day_label(date.fromisoformat(schedule["valid_to"]), lang),
        ),
        "closed": t["sched_closed"].format(dates=", ".join(closed)) if closed else "",
    }
