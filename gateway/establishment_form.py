"""The operator's establishment and service forms: what was typed (kept for the form), each field's own refusal,
and the body appointments takes (None while something is refused). Opening hours are one opening and one
closing time per weekday, written "8:00" or "8 h 00" as on the schedules page; a day left empty is closed."""

import re
from typing import Any

from gateway.schedule_form import WEEKDAYS, typed_time
from gateway.web.clinic_rules import clinic_phone
from gateway.web.texts import TEXTS

PLACE_FIELDS = ("name", "address", "city", "postal_code", "region", "phone")
SERVICE_TEXTS = ("name_fr", "name_en", "instructions_fr", "instructions_en")
# (field, lowest, highest, default shown on an empty form)
SERVICE_NUMBERS = (
    ("duration_minutes", 1, 1440, "15"),
    ("default_capacity", 1, 500, "1"),
    ("cancel_cutoff_hours", 0, 168, "0"),
)
SERVICE_FIELDS = SERVICE_TEXTS + tuple(number[0] for number in SERVICE_NUMBERS)


def _text(form: Any, name: str, limit: int = 1000) -> str:
    return str(form.get(name, "")).strip()[:limit]


def blank_place() -> dict[str, Any]:
    return {name: "" for name in PLACE_FIELDS} | {"hours": {day: {"opens": "", "closes": ""} for day in WEEKDAYS}}


def blank_service() -> dict[str, str]:
    return {name: "" for name in SERVICE_TEXTS} | {name: default for name, _, _, default in SERVICE_NUMBERS}


def place_values(establishment: dict[str, Any]) -> dict[str, Any]:
    """An establishment as appointments answers it, as the form shows it."""
    values: dict[str, Any] = {name: str(establishment.get(name) or "") for name in PLACE_FIELDS}
    phone = clinic_phone(values["phone"])
    values["phone"] = phone["shown"] if phone else values["phone"]  # as typed, not as stored (+1…)
    hours = establishment.get("opening_hours") or {}
    values["hours"] = {
        day: {"opens": hours[day][0][0], "closes": hours[day][0][1]} if hours.get(day) else {"opens": "", "closes": ""}
        for day in WEEKDAYS
    }
    return values


def read_place(form: Any, lang: str) -> tuple[dict[str, Any], dict[str, str], dict[str, Any] | None]:
    words = TEXTS[lang]
    values: dict[str, Any] = {name: _text(form, name, 300) for name in PLACE_FIELDS}
    values["hours"] = {
        day: {"opens": _text(form, f"hours-{day}-opens", 20), "closes": _text(form, f"hours-{day}-closes", 20)}
        for day in WEEKDAYS
    }
    errors = {name: words[f"op_{name}_missing"] for name in PLACE_FIELDS if not values[name]}
    hours: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        typed = values["hours"][day]
        if not typed["opens"] and not typed["closes"]:
            continue
        opens, closes = typed_time(typed["opens"]), typed_time(typed["closes"])
        if opens is None or closes is None:
            errors.setdefault("hours", words["op_hours_invalid"])
            typed["wrong"] = "yes"
        elif closes <= opens:
            errors.setdefault("hours", words["op_hours_order"])
            typed["wrong"] = "yes"
        else:
            hours[day] = [[opens.strftime("%H:%M"), closes.strftime("%H:%M")]]
    if errors:
        return values, errors, None
    return values, errors, {name: values[name] for name in PLACE_FIELDS} | {"opening_hours": hours}


def read_service(form: Any, lang: str) -> tuple[dict[str, str], dict[str, str], dict[str, Any] | None]:
    words = TEXTS[lang]
    values = {name: _text(form, name, 1000 if name.startswith("instructions") else 200) for name in SERVICE_TEXTS}
    values |= {name: _text(form, name, 10) for name, _, _, _ in SERVICE_NUMBERS}
    errors: dict[str, str] = {}
    if not values["name_fr"] or not values["name_en"]:
        errors["name_fr" if not values["name_fr"] else "name_en"] = words["op_service_name_missing"]
    numbers: dict[str, int] = {}
    for name, low, high, default in SERVICE_NUMBERS:
        number = int(values[name]) if re.fullmatch(r"\d{1,4}", values[name]) else None
        if number is None or not low <= number <= high:
            errors[name] = words["op_number_invalid"].format(example=default if default != "0" else "24")
        else:
            numbers[name] = number
    if errors:
        return values, errors, None
    body: dict[str, Any] = {name: values[name] for name in ("name_fr", "name_en")} | numbers
    body |= {name: values[name] or None for name in ("instructions_fr", "instructions_en")}
    return values, errors, body


def refused_fields(shown: dict[str, str], known: tuple[str, ...]) -> dict[str, str]:
    """The service's refusal by field, each on a field of this form: `services.0.name_fr` or `name_fr` on
    name_fr, `opening_hours...` on the hours, anything else on the whole form."""
    kept: dict[str, str] = {}
    for field, message in shown.items():
        last = re.split(r"[.\[\]]+", field.strip(".[]"))[-1] if field != "form" else "form"
        key = "hours" if field.startswith("opening_hours") else last if last in known else "form"
        kept.setdefault(key, message)
    return kept
