"""Establishments as operators create and edit them, and a service's clinic rules: pure checks, no I/O.

An establishment's coordinates come from its postal code, as the nearby search places a citizen
(catalogue.rules.coordinates_of: the centroid of its forward sortation area), so no map service is called.
"""

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time

from services.appointments.catalogue.rules import WEEKDAYS, Point, coordinates_of, normalise_postal_code
from shared.refusals import Refused

Hours = tuple[time, time]


class PostalCodeIncomplete(Refused):
    """An establishment is at an address: its whole postal code, not only the first three characters."""


class OpeningHoursReversed(Refused):
    def __init__(self, day: str) -> None:
        super().__init__(day)
        self.day = day


class OpeningHoursOverlap(Refused):
    def __init__(self, day: str) -> None:
        super().__init__(day)
        self.day = day


@dataclass(frozen=True)
class Located:
    postal_code: str  # as Canada Post writes it: "H2L 3C3"
    point: Point


def locate(postal_code: str) -> Located:
    """The postal code written the usual way and the coordinates it gives; raises InvalidPostalCode,
    UnknownPostalCode (catalogue's refusals) or PostalCodeIncomplete."""
    compact = normalise_postal_code(postal_code)
    if len(compact) != 6:
        raise PostalCodeIncomplete
    return Located(f"{compact[:3]} {compact[3:]}", coordinates_of(compact))


def check_opening_hours(hours: Mapping[str, Sequence[Hours]]) -> None:
    """Each opening closes after it opens, and a day's openings do not overlap (catalogue's schedules lay
    slots inside them)."""
    for day in WEEKDAYS:
        openings = sorted(hours.get(day, ()))
        for opens, closes in openings:
            if closes <= opens:
                raise OpeningHoursReversed(day)
        for (_, closes), (next_opens, _) in itertools.pairwise(openings):
            if next_opens < closes:
                raise OpeningHoursOverlap(day)


def opening_hours_document(hours: Mapping[str, Sequence[Hours]]) -> dict[str, list[list[str]]]:
    """As establishments.opening_hours keeps them: {"mon": [["08:00", "16:00"]], ...}, a closed day left out."""
    return {
        day: [[opens.strftime("%H:%M"), closes.strftime("%H:%M")] for opens, closes in sorted(hours[day])]
        for day in WEEKDAYS
        if hours.get(day)
    }


def instructions(text: str | None) -> str | None:
    """Blank instructions are none: nothing to show."""
    return text.strip() or None if text is not None else None
