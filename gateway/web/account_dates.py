"""Calendar dates on the account pages: written out for reading ("14 mars 1985"), split for GOV.UK's date input."""

from datetime import date

from babel.dates import format_date

from gateway.web.dates import LOCALES


def written_birth_date(iso: str | None, lang: str) -> str | None:
    """A date as citizens write it, never as ISO; None when there is none (or it is unreadable)."""
    if not iso:
        return None
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return None
    return format_date(day, format="long", locale=LOCALES[lang])


def date_parts(name: str, iso: str | None) -> dict[str, str]:
    """The values of a date input's three boxes (<name>_day, _month, _year) for an ISO date."""
    try:
        day = date.fromisoformat(iso) if iso else None
    except ValueError:
        day = None
    if day is None:
        return {}
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}
