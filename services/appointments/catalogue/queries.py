"""The catalogue's SQL: establishments and their services, free slots, staff schedules, the nearby search."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.appointments.catalogue.rules import EARTH_RADIUS_KM

# A JSON value as PostgreSQL's json functions return it.
Json = dict[str, object]


@dataclass(frozen=True)
class StaffEstablishment:
    id: uuid.UUID
    name: str
    timezone: str


@dataclass(frozen=True)
class ServiceOffered:
    id: uuid.UUID
    name_fr: str
    name_en: str
    duration_minutes: int
    default_capacity: int
    cancel_cutoff_hours: int
    instructions_fr: str | None
    instructions_en: str | None


@dataclass(frozen=True)
class Place:
    """An establishment as the search and the slot picker show it."""

    id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    region: str | None
    phone: str | None
    latitude: float
    longitude: float
    opening_hours: dict[str, list[list[str]]] | None


@dataclass(frozen=True)
class OfferedService:
    service_id: uuid.UUID
    name_fr: str
    name_en: str
    duration_minutes: int
    establishment: Place


@dataclass(frozen=True)
class SearchRow:
    place: Place
    distance_km: float
    earliest: datetime
    total: int
    services: list[Json]  # service_id, names, duration_minutes, earliest_free_slot, free_slots


@dataclass(frozen=True)
class Establishment:
    id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    latitude: float
    longitude: float
    services: list[Json]  # service_id, name_fr, name_en


@dataclass(frozen=True)
class FreeSlot:
    id: uuid.UUID
    service_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    seats_left: int


@dataclass(frozen=True)
class StoredSchedule:
    id: uuid.UUID
    service_id: uuid.UUID
    weekdays: list[str]
    start_time: time
    end_time: time
    slot_minutes: int
    capacity: int
    valid_from: date
    valid_to: date
    exceptions: list[Json]  # [{"date": ..., "hours": [[open, close], ...]}, ...]
    created_at: datetime


@dataclass(frozen=True)
class NewSchedule:
    id: uuid.UUID
    establishment_id: uuid.UUID
    service_id: uuid.UUID
    weekdays: list[str]
    start_time: time
    end_time: time
    slot_minutes: int
    capacity: int
    valid_from: date
    valid_to: date
    exceptions: str  # JSON text
    fingerprint: str
    created_by: uuid.UUID


_PLACE_FIELDS = tuple(Place.__dataclass_fields__)


def _place(row: Row[Any]) -> Place:
    values = row._mapping
    return Place(**{name: values[name] for name in _PLACE_FIELDS})


async def establishment_exists(session: AsyncSession, establishment_id: uuid.UUID) -> bool:
    found = await session.execute(text("SELECT 1 FROM establishments WHERE id = :id"), {"id": establishment_id})
    return found.first() is not None


async def staff_establishment(session: AsyncSession, establishment_id: uuid.UUID) -> StaffEstablishment | None:
    row = (
        await session.execute(
            text("SELECT id, name, timezone FROM establishments WHERE id = :id"), {"id": establishment_id}
        )
    ).first()
    return StaffEstablishment(**row._mapping) if row is not None else None


async def services_of(session: AsyncSession, establishment_id: uuid.UUID) -> list[ServiceOffered]:
    rows = (
        await session.execute(
            text(
                "SELECT id, name_fr, name_en, duration_minutes, default_capacity, cancel_cutoff_hours, "
                "instructions_fr, instructions_en FROM services "
                "WHERE establishment_id = :id ORDER BY name_fr, id"
            ),
            {"id": establishment_id},
        )
    ).all()
    return [ServiceOffered(**row._mapping) for row in rows]


async def offered_capacity(session: AsyncSession, establishment_id: uuid.UUID, service_id: uuid.UUID) -> int | None:
    """The seats a slot of the service gets by default; None when the establishment does not offer it."""
    owned = await session.execute(
        text("SELECT default_capacity FROM services WHERE id = :id AND establishment_id = :establishment_id"),
        {"id": service_id, "establishment_id": establishment_id},
    )
    capacity = owned.scalar_one_or_none()
    return int(capacity) if capacity is not None else None


# --- schedules ---

INSERT_SCHEDULE = text("""
INSERT INTO schedules (id, establishment_id, service_id, weekdays, start_time, end_time, slot_minutes, capacity,
                       valid_from, valid_to, exceptions, fingerprint, created_by)
VALUES (:id, :establishment_id, :service_id, :weekdays, :start_time, :end_time, :slot_minutes, :capacity,
        :valid_from, :valid_to, CAST(:exceptions AS jsonb), :fingerprint, :created_by)
ON CONFLICT (service_id, fingerprint) DO NOTHING
RETURNING id
""")

SCHEDULE_COLUMNS = (
    "id, service_id, weekdays, start_time, end_time, slot_minutes, capacity, "  # what staff set
    "valid_from, valid_to, exceptions, created_at"
)

# One round trip for a year of slots. Slot ids are derived from (service, start), so slots that
# already exist (possibly booked) are left exactly as they are.
INSERT_SLOTS = text("""
WITH inserted AS (
  INSERT INTO slots (id, service_id, starts_at, ends_at, capacity)
  SELECT new.id, :service_id, new.starts_at, new.starts_at + make_interval(mins => :slot_minutes), :capacity
  FROM unnest(CAST(:ids AS uuid[]), CAST(:starts AS timestamptz[])) AS new(id, starts_at)
  ON CONFLICT (id) DO NOTHING
  RETURNING 1
)
SELECT count(*) FROM inserted
""")


async def insert_schedule(session: AsyncSession, schedule: NewSchedule) -> bool:
    """Whether it was stored (False: the same schedule, by fingerprint, was stored before)."""
    inserted = await session.execute(INSERT_SCHEDULE, vars(schedule))
    return inserted.first() is not None


async def insert_slots(
    session: AsyncSession,
    service_id: uuid.UUID,
    slot_minutes: int,
    capacity: int,
    ids: list[uuid.UUID],
    starts: list[datetime],
) -> int:
    """How many of the slots were new."""
    inserted = await session.execute(
        INSERT_SLOTS,
        {"service_id": service_id, "slot_minutes": slot_minutes, "capacity": capacity, "ids": ids, "starts": starts},
    )
    return int(inserted.scalar_one())


async def schedule_by_fingerprint(session: AsyncSession, service_id: uuid.UUID, fingerprint: str) -> StoredSchedule:
    row = (
        await session.execute(
            text(f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE service_id = :s AND fingerprint = :f"),
            {"s": service_id, "f": fingerprint},
        )
    ).one()
    return StoredSchedule(**row._mapping)


async def schedules_of(session: AsyncSession, establishment_id: uuid.UUID) -> list[StoredSchedule]:
    rows = (
        await session.execute(
            text(
                f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE establishment_id = :id "
                "ORDER BY valid_from DESC, created_at DESC"
            ),
            {"id": establishment_id},
        )
    ).all()
    return [StoredSchedule(**row._mapping) for row in rows]


# --- nearby search ---

# One statement. The box prefilter uses establishments_by_point (GiST); the exact haversine distance
# decides the radius. For each nearby service, a LATERAL walks slots_by_service_time to its first
# free slot (LIMIT 1), which is all the ranking needs; counting free slots, which reads every slot
# of the range, is done only for the establishments on the requested page.
_NEARBY_OFFERS = f"""
WITH nearby AS (
  SELECT e.id, e.name, e.address, e.city, e.postal_code, e.region, e.phone, e.latitude, e.longitude,
         e.opening_hours,
         2 * {EARTH_RADIUS_KM} * asin(least(1.0, sqrt(
               power(sin(radians(e.latitude - :lat) / 2), 2)
             + cos(radians(:lat)) * cos(radians(e.latitude)) * power(sin(radians(e.longitude - :lon) / 2), 2)
         ))) AS distance_km
  FROM establishments e
  WHERE point(e.longitude, e.latitude) <@ box(point(:min_lon, :min_lat), point(:max_lon, :max_lat))
),
offers AS (
  SELECT n.id AS establishment_id, sv.id AS service_id, first_free.starts_at AS earliest
  FROM nearby n
  JOIN services sv ON sv.establishment_id = n.id
  CROSS JOIN LATERAL (
    SELECT s.starts_at FROM slots s
    WHERE s.service_id = sv.id AND s.starts_at >= :date_from AND s.starts_at < :date_to
      AND s.booked < s.capacity
    ORDER BY s.starts_at LIMIT 1
  ) AS first_free
  WHERE n.distance_km <= :radius_km
    AND NOT EXISTS (
      SELECT 1 FROM unnest(CAST(:terms AS text[])) AS term(word)
      WHERE strpos(sv.search_name, term.word) = 0
    )
)"""

SEARCH = text(
    _NEARBY_OFFERS
    + """,
page AS (
  SELECT n.*, best.earliest, count(*) OVER () AS total
  FROM nearby n
  JOIN (SELECT establishment_id, min(earliest) AS earliest FROM offers GROUP BY establishment_id) AS best
    ON best.establishment_id = n.id
  ORDER BY n.distance_km, best.earliest, n.id
  LIMIT :limit OFFSET :offset
)
SELECT p.*, offered.services
FROM page p
CROSS JOIN LATERAL (
  SELECT json_agg(json_build_object(
           'service_id', sv.id, 'name_fr', sv.name_fr, 'name_en', sv.name_en,
           'duration_minutes', sv.duration_minutes, 'earliest_free_slot', o.earliest, 'free_slots', free.n)
         ORDER BY o.earliest, sv.name_fr) AS services
  FROM offers o
  JOIN services sv ON sv.id = o.service_id
  CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM slots s
    WHERE s.service_id = o.service_id AND s.starts_at >= :date_from AND s.starts_at < :date_to
      AND s.booked < s.capacity
  ) AS free
  WHERE o.establishment_id = p.id
) AS offered
ORDER BY p.distance_km, p.earliest, p.id
"""
)

# Settings of the search's own connections (main.py). The best plan depends on the radius (how much of the
# box index to read), which a cached generic plan cannot know: after five runs PostgreSQL may switch to one,
# and a 500 km search went from ~0.1 s to over 1 s. JIT compilation costs more than this query runs.
# The planner underestimates the nearby establishments (~276 for ~630 within 25 km of 20,000) and so
# hashes all services and bitmap-sorts each service's slots; nested index lookups and an ordered index
# walk to the first free slot measured ~12 ms instead of ~22 ms at 25 km, and no slower at 200 km.
# Set per connection rather than per transaction, the search is one round trip in autocommit.
SEARCH_SERVER_SETTINGS = {
    "plan_cache_mode": "force_custom_plan",
    "jit": "off",
    "enable_hashjoin": "off",
    "enable_bitmapscan": "off",
}

# A page past the last result still says how many there are.
SEARCH_TOTAL = text(_NEARBY_OFFERS + "\nSELECT count(DISTINCT establishment_id) FROM offers")


@dataclass(frozen=True)
class SearchArea:
    """What SEARCH takes: the centre, its bounding box, the radius, the words, the range and the page."""

    lat: float
    lon: float
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float
    radius_km: float
    terms: list[str]
    date_from: datetime
    date_to: datetime
    limit: int
    offset: int


async def search_nearby(engine: AsyncEngine, area: SearchArea) -> tuple[list[SearchRow], int]:
    """The page of results and how many there are in all. `engine`: connections with SEARCH_SERVER_SETTINGS."""
    params = vars(area)
    async with engine.connect() as pooled:
        connection = await pooled.execution_options(isolation_level="AUTOCOMMIT")
        rows = (await connection.execute(SEARCH, params)).all()
        if rows:
            total = int(rows[0].total)
        else:
            total = int((await connection.execute(SEARCH_TOTAL, params)).scalar_one()) if area.offset else 0
    results = [
        SearchRow(
            place=_place(row),
            distance_km=row.distance_km,
            earliest=row.earliest,
            total=row.total,
            services=row.services,
        )
        for row in rows
    ]
    return results, total


async def offered_service(session: AsyncSession, service_id: uuid.UUID) -> OfferedService | None:
    row = (
        await session.execute(
            text("""
            SELECT sv.id AS service_id, sv.name_fr, sv.name_en, sv.duration_minutes,
                   e.id, e.name, e.address, e.city, e.postal_code, e.region, e.phone, e.latitude, e.longitude,
                   e.opening_hours
            FROM services sv JOIN establishments e ON e.id = sv.establishment_id WHERE sv.id = :id
            """),
            {"id": service_id},
        )
    ).first()
    if row is None:
        return None
    return OfferedService(
        service_id=row.service_id,
        name_fr=row.name_fr,
        name_en=row.name_en,
        duration_minutes=row.duration_minutes,
        establishment=_place(row),
    )


async def establishments(session: AsyncSession, limit: int, offset: int) -> list[Establishment]:
    rows = (
        await session.execute(
            text("""
            SELECT e.id, e.name, e.address, e.city, e.postal_code, e.latitude, e.longitude,
                   coalesce(json_agg(json_build_object('service_id', sv.id, 'name_fr', sv.name_fr,
                            'name_en', sv.name_en)) FILTER (WHERE sv.id IS NOT NULL), '[]') AS services
            FROM establishments e LEFT JOIN services sv ON sv.establishment_id = e.id
            GROUP BY e.id ORDER BY e.name LIMIT :limit OFFSET :offset
            """),
            {"limit": limit, "offset": offset},
        )
    ).all()
    return [Establishment(**row._mapping) for row in rows]


async def free_slots(
    session: AsyncSession, service_id: uuid.UUID, date_from: datetime, date_to: datetime, limit: int
) -> list[FreeSlot]:
    rows = (
        await session.execute(
            text("""
            SELECT id, service_id, starts_at, ends_at, capacity - booked AS seats_left FROM slots
            WHERE service_id = :service_id AND starts_at >= greatest(:date_from, now()) AND starts_at < :date_to
              AND booked < capacity
            ORDER BY starts_at LIMIT :limit
            """),
            {"service_id": service_id, "date_from": date_from, "date_to": date_to, "limit": limit},
        )
    ).all()
    return [FreeSlot(**row._mapping) for row in rows]
