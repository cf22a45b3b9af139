"""Catalogue rules, free of I/O: schedules and the nearby search.

Schedules: weekly hours + exceptions → the start times of the slots they open.

Times are wall-clock times at the establishment (America/Montreal). Slots are laid out on the wall
clock, so "08:00 every Monday" stays 08:00 across daylight-saving changes. On the night clocks
spring forward, local times that never happen (02:00-02:59) open no slot; on the night they fall
back, a repeated local time opens one slot, at its first occurrence.
"""

import hashlib
import json
import math
import re
import unicodedata
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from pypostalcode import PostalCodeDatabase  # type: ignore[import-untyped]

from shared.refusals import Refused

TZ = ZoneInfo("America/Montreal")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
MAX_DAYS = 366  # one schedule materialises at most a year of slots
# Slot ids derive from (service, start): materialising a schedule twice never duplicates a slot.
SLOT_NAMESPACE = uuid.UUID("6f1c2a4e-1b7e-4f59-9d0c-3c1f4a1d2b10")

Hours = tuple[time, time]


class InvalidWeekdays(Refused):
    pass


class ScheduleDatesReversed(Refused):
    pass


class ScheduleTooLong(Refused):
    def __init__(self, max_days: int) -> None:
        super().__init__(max_days)
        self.max_days = max_days


class ExceptionOutOfRange(Refused):
    def __init__(self, day: date) -> None:
        super().__init__(day)
        self.day = day.isoformat()


class InvalidHours(Refused):
    """Closing at or before opening, in the schedule's weekly hours."""


class InvalidExceptionHours(InvalidHours):
    """The same, in one of its exceptions."""


class SlotLongerThanHours(Refused):
    pass


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
        raise InvalidWeekdays
    if schedule.valid_to < schedule.valid_from:
        raise ScheduleDatesReversed
    if (schedule.valid_to - schedule.valid_from).days >= MAX_DAYS:
        raise ScheduleTooLong(MAX_DAYS)
    _check_hours(schedule.hours, schedule.slot_minutes, InvalidHours)
    for day, hours in schedule.exceptions.items():
        if not schedule.valid_from <= day <= schedule.valid_to:
            raise ExceptionOutOfRange(day)
        for opening in hours:
            _check_hours(opening, schedule.slot_minutes, InvalidExceptionHours)


def _check_hours(hours: Hours, slot_minutes: int, reversed_hours: type[InvalidHours]) -> None:
    opens, closes = hours
    if closes <= opens:
        raise reversed_hours
    if _minutes(closes) - _minutes(opens) < slot_minutes:
        raise SlotLongerThanHours


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


# --- Nearby search ---
#
# Nearby-search rules, free of I/O: postal code → coordinates, bounding box, great-circle distance.
#
# Postal codes resolve to the centroid of their FSA (first three characters) from the `pypostalcode`
# package, whose data comes from GeoNames (https://www.geonames.org, CC BY 4.0). An FSA centroid is
# precise enough to rank clinics by distance without calling any network service.

EARTH_RADIUS_KM = 6371.0  # mean radius; the SQL haversine uses the same value
MAX_RADIUS_KM = 500.0

# Canada Post: the first letter is never D F I O Q U W Z, the other letters never D F I O Q U.
_POSTAL_CODE = re.compile(r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z](?:\d[ABCEGHJ-NPRSTV-Z]\d)?")


class InvalidPostalCode(Refused):
    pass


class UnknownPostalCode(Refused):
    pass


class LatitudeMissing(Refused):
    pass


class LongitudeMissing(Refused):
    pass


class LatitudeOutOfRange(Refused):
    pass


class LongitudeOutOfRange(Refused):
    pass


class LocationAmbiguous(Refused):
    pass


class LocationRequired(Refused):
    pass


class SearchDatesReversed(Refused):
    """The end is not after the start (which is never in the past)."""


class SearchTooLong(Refused):
    def __init__(self, max_days: int) -> None:
        super().__init__(max_days)
        self.max_days = max_days


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Fsa:
    code: str
    place: str
    province: str
    point: Point


@dataclass(frozen=True)
class BoundingBox:
    min_latitude: float
    max_latitude: float
    min_longitude: float
    max_longitude: float


@cache
def _fsas() -> dict[str, Fsa]:
    # The whole table is 1,645 rows: read it once rather than open SQLite on every request.
    rows = PostalCodeDatabase().find_postalcode() or []
    return {
        row.postalcode: Fsa(row.postalcode, row.city, row.province, Point(row.latitude, row.longitude)) for row in rows
    }


def quebec_fsas() -> list[Fsa]:
    """Québec's forward sortation areas (those starting with G, H or J), sorted by code."""
    return sorted((fsa for fsa in _fsas().values() if fsa.province == "Quebec"), key=lambda fsa: fsa.code)


def normalise_postal_code(raw: str) -> str:
    """`h2x 1y4`, `H2X-1Y4` → `H2X1Y4`; an FSA alone (`H2X`) is accepted too. Raises on a bad format."""
    compact = re.sub(r"[\s-]", "", raw).upper()
    if not _POSTAL_CODE.fullmatch(compact):
        raise InvalidPostalCode
    return compact


def coordinates_of(postal_code: str) -> Point:
    """The centroid of the postal code's FSA."""
    fsa = _fsas().get(normalise_postal_code(postal_code)[:3])
    if fsa is None:
        raise UnknownPostalCode
    return fsa.point


def require_coordinates(latitude: float | None, longitude: float | None) -> Point:
    if latitude is None or longitude is None:
        raise LatitudeMissing if latitude is None else LongitudeMissing
    if not -90.0 <= latitude <= 90.0:
        raise LatitudeOutOfRange
    if not -180.0 <= longitude <= 180.0:
        raise LongitudeOutOfRange
    return Point(latitude, longitude)


def search_centre(postal_code: str | None, latitude: float | None, longitude: float | None) -> Point:
    """Exactly one way of saying where: a postal code, or a pair of coordinates."""
    if postal_code is not None and (latitude is not None or longitude is not None):
        raise LocationAmbiguous
    if postal_code is not None:
        return coordinates_of(postal_code)
    if latitude is None and longitude is None:
        raise LocationRequired
    return require_coordinates(latitude, longitude)


def haversine_km(a: Point, b: Point) -> float:
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(centre: Point, radius_km: float) -> BoundingBox:
    """A latitude/longitude box containing every point within `radius_km` of `centre`.

    It only prefilters on the (latitude, longitude) index; the exact distance decides. Near a pole,
    or when the box would wrap past ±180°, every longitude is kept: wider, never wrong.
    """
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    min_lat, max_lat = centre.latitude - dlat, centre.latitude + dlat
    if min_lat <= -90.0 or max_lat >= 90.0:
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
    # The widest longitude span is reached at the latitude where the circle touches its meridians.
    ratio = math.sin(radius_km / EARTH_RADIUS_KM) / math.cos(math.radians(centre.latitude))
    if ratio >= 1.0:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    dlon = math.degrees(math.asin(ratio))
    min_lon, max_lon = centre.longitude - dlon, centre.longitude + dlon
    if min_lon < -180.0 or max_lon > 180.0:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    return BoundingBox(min_lat, max_lat, min_lon, max_lon)


def search_terms(text: str | None) -> list[str]:
    """Free text → lower-case words without accents, all of which a service name must contain.

    Must agree with services.search_name (migration 0003), which folds the stored names the same way.
    """
    if not text:
        return []
    folded = fold(text)
    return [word for word in re.split(r"[^\w]+", folded) if word]


def fold(text: str) -> str:
    """Lower case, accents off: 'Dépistage' → 'depistage'."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


DEFAULT_SEARCH_DAYS = 14
MAX_SEARCH_DAYS = 366


def slot_window(date_from: datetime | None, date_to: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """A service's free slots are listed from `date_from` (now, by default) for DEFAULT_SEARCH_DAYS, unless
    `date_to` says otherwise."""
    start = date_from or now
    return start, date_to or start + timedelta(days=DEFAULT_SEARCH_DAYS)


@dataclass(frozen=True)
class SearchQuery:
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    service: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    radius_km: float = 25.0
    limit: int = 20
    offset: int = 0


def _aware(moment: datetime) -> datetime:
    # A time without an offset is a Montréal wall-clock time, as the portal shows them.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=TZ)


def search_range(date_from: datetime | None, date_to: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """[from, to): from defaults to now and never lies in the past (a past slot cannot be booked)."""
    start = max(_aware(date_from), now) if date_from else now
    end = _aware(date_to) if date_to else start + timedelta(days=DEFAULT_SEARCH_DAYS)
    if end <= start:
        raise SearchDatesReversed
    if end - start > timedelta(days=MAX_SEARCH_DAYS):
        raise SearchTooLong(MAX_SEARCH_DAYS)
    return start, end


def exceptions_json(schedule: Schedule) -> str:
    """The schedule's exceptions as stored (schedules.exceptions, jsonb)."""
    return json.dumps(
        [
            {"date": day.isoformat(), "hours": [[o.strftime("%H:%M"), c.strftime("%H:%M")] for o, c in hours]}
            for day, hours in sorted(schedule.exceptions.items())
        ]
    )


class UnknownService(Refused):
    """Not a service of the staff member's establishment."""


class ServiceNotFound(Refused):
    pass
