"""Schedule rules, free of I/O: weekly hours + exceptions → the start times of the slots they open.

Times are wall-clock times at the establishment (America/Montreal). Slots are laid out on the wall
clock, so "08:00 every Monday" stays 08:00 across daylight-saving changes. On the night clocks
spring forward, local times that never happen (02:00-02:59) open no slot; on the night they fall
back, a repeated local time opens one slot, at its first occurrence.
"""

import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.errors import ApiError

TZ = ZoneInfo("America/Montreal")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
MAX_DAYS = 366  # one schedule materialises at most a year of slots
# Slot ids derive from (service, start): materialising a schedule twice never duplicates a slot.
SLOT_NAMESPACE = uuid.UUID("6f1c2a4e-1b7e-4f59-9d0c-3c1f4a1d2b10")

Hours = tuple[time, time]


@dataclass(frozen=True)
class Schedule:
    weekdays: frozenset[str]
    hours: Hours
    slot_minutes: int
    valid_from: date
    valid_to: date  # inclusive
    # Exceptions: a date mapped to its own opening hours; an empty list means closed that day.
    exceptions: Mapping[date, Sequence[Hours]] = field(default_factory=dict)


def validate(schedule: Schedule) -> None:
    """Refuses schedules that cannot open any sensible slot, with the field to fix."""
    unknown = schedule.weekdays - set(WEEKDAYS)
    if not schedule.weekdays or unknown:
        raise ApiError(
            422,
            "invalid_weekdays",
            "weekdays",
            "Choisissez au moins un jour parmi mon, tue, wed, thu, fri, sat, sun.",
            "Choose at least one day among mon, tue, wed, thu, fri, sat, sun.",
        )
    if schedule.valid_to < schedule.valid_from:
        raise ApiError(
            422,
            "invalid_date_range",
            "valid_to",
            "La date de fin doit suivre la date de début.",
            "The end date must not be before the start date.",
        )
    if (schedule.valid_to - schedule.valid_from).days >= MAX_DAYS:
        raise ApiError(
            422,
            "date_range_too_long",
            "valid_to",
            f"Un horaire couvre au plus {MAX_DAYS} jours.",
            f"A schedule covers at most {MAX_DAYS} days.",
        )
    _check_hours(schedule.hours, schedule.slot_minutes, "start_time")
    for day, hours in schedule.exceptions.items():
        if not schedule.valid_from <= day <= schedule.valid_to:
            raise ApiError(
                422,
                "exception_out_of_range",
                "exceptions",
                f"L'exception du {day.isoformat()} est hors de la période de l'horaire.",
                f"The exception on {day.isoformat()} is outside the schedule's dates.",
            )
        for opening in hours:
            _check_hours(opening, schedule.slot_minutes, "exceptions")


def _check_hours(hours: Hours, slot_minutes: int, field_name: str) -> None:
    opens, closes = hours
    if closes <= opens:
        raise ApiError(
            422,
            "invalid_hours",
            field_name,
            "L'heure de fin doit suivre l'heure de début.",
            "The end time must be after the start time.",
        )
    if _minutes(closes) - _minutes(opens) < slot_minutes:
        raise ApiError(
            422,
            "slot_longer_than_hours",
            "slot_minutes",
            "La plage horaire est plus courte qu'un créneau.",
            "The opening hours are shorter than one slot.",
        )


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def hours_on(schedule: Schedule, day: date) -> Sequence[Hours]:
    if day in schedule.exceptions:
        return schedule.exceptions[day]
    return [schedule.hours] if WEEKDAYS[day.weekday()] in schedule.weekdays else []


def _days(first: date, last: date) -> Iterator[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def local_time_exists(moment: datetime) -> bool:
    """False for wall-clock times skipped when clocks spring forward (they do not survive a round trip)."""
    round_trip = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return round_trip.replace(tzinfo=None) == moment.replace(tzinfo=None)


def slot_starts(schedule: Schedule, tz: ZoneInfo = TZ) -> list[datetime]:
    """Every slot start the schedule opens, as aware local datetimes, in order.

    A slot opens only if it ends by closing time: 08:00-09:00 in 25-minute slots gives 08:00 and 08:25.
    """
    starts: list[datetime] = []
    for day in _days(schedule.valid_from, schedule.valid_to):
        for opens, closes in sorted(hours_on(schedule, day)):
            minute, last = _minutes(opens), _minutes(closes) - schedule.slot_minutes
            while minute <= last:
                # Built from the wall clock every time, never by adding durations to an aware time.
                moment = datetime.combine(day, time(minute // 60, minute % 60), tz)
                if local_time_exists(moment):
                    starts.append(moment)
                minute += schedule.slot_minutes
    return starts


def slot_id(service_id: uuid.UUID, starts_at: datetime) -> uuid.UUID:
    """The same service and instant always give the same id, whoever materialises it."""
    return slot_ids(service_id, [starts_at])[0]


def slot_ids(service_id: uuid.UUID, starts: Sequence[datetime]) -> list[uuid.UUID]:
    prefix = f"slot/{service_id}/"
    return [uuid.uuid5(SLOT_NAMESPACE, prefix + start.astimezone(TZ).isoformat()) for start in starts]


def fingerprint(service_id: uuid.UUID, schedule: Schedule, capacity: int) -> str:
    """Identifies a schedule by its content, so posting the same one twice stores it once."""
    body = {
        "service_id": str(service_id),
        "weekdays": sorted(schedule.weekdays, key=WEEKDAYS.index),
        "hours": [t.isoformat() for t in schedule.hours],
        "slot_minutes": schedule.slot_minutes,
        "capacity": capacity,
        "valid_from": schedule.valid_from.isoformat(),
        "valid_to": schedule.valid_to.isoformat(),
        "exceptions": {
            day.isoformat(): sorted([o.isoformat(), c.isoformat()] for o, c in hours)
            for day, hours in sorted(schedule.exceptions.items())
        },
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
