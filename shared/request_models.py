"""What every request schema inherits: text PostgreSQL can store, and dates the code can compute with.

PostgreSQL refuses NUL (U+0000) in text, and a lone UTF-16 surrogate (a JSON "\\ud800" decodes to one) cannot
be encoded as UTF-8: either reached the database as a 500 whose failed INSERT was logged. A year-1 date at
+14:00 overflows as soon as it is converted to UTC. Every request model derives from `RequestModel`, which
refuses all three per field, with the field's name, before any use case sees the value; query parameters
typed as dates use `Instant` / `Day` below (the URL's own NUL is refused by shared.request_limits).
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, field_validator
from pydantic_core import PydanticCustomError

# Wide enough for any real appointment, schedule or birth date, narrow enough that no offset overflows.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
_SURROGATES = range(0xD800, 0xE000)


def unsafe_character(text: str) -> str | None:
    """Why this text cannot be stored ("nul" or "surrogate"), or None when it can."""
    if "\x00" in text:
        return "nul"
    if text.isascii():  # the common case, without looking at each character
        return None
    if any(ord(char) in _SURROGATES for char in text):
        return "surrogate"
    return None


def _refuse_unsafe(value: Any) -> None:
    """Raises for the first unstorable text anywhere in a raw (not yet validated) value."""
    if isinstance(value, str):
        if unsafe_character(value) is not None:
            raise PydanticCustomError("unsafe_text", "Text with a NUL character or a lone surrogate")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_unsafe(key)
            _refuse_unsafe(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _refuse_unsafe(item)


def safe_text(value: str) -> str:
    """For a text parameter outside a model (a query, a form field)."""
    _refuse_unsafe(value)
    return value


def in_supported_range(value: date) -> date:
    """A date or datetime between EARLIEST_YEAR and LATEST_YEAR (datetime is a date subclass)."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise PydanticCustomError(
            "date_out_of_range", "Date outside {earliest}-{latest}", {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR}
        )
    return value


def not_in_future(value: date) -> date:
    if value > datetime.now(UTC).date():
        raise PydanticCustomError("date_in_future", "A birth date cannot be in the future")
    return value


def _check_dates(value: Any) -> None:
    if isinstance(value, date):
        in_supported_range(value)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_dates(item)


Instant = Annotated[datetime, AfterValidator(in_supported_range)]
Day = Annotated[date, AfterValidator(in_supported_range)]
BirthDate = Annotated[date, AfterValidator(in_supported_range), AfterValidator(not_in_future)]


class RequestModel(BaseModel):
    """Base of every request body: each field's raw value is checked for unstorable text, and each parsed
    date or datetime (alone or in a list) for its range. Subclasses keep their own model_config."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        _refuse_unsafe(value)
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _dates_in_range(cls, value: Any) -> Any:
        _check_dates(value)
        return value
