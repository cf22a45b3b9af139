"""Catalogue use cases: staff schedules that open slots, and the public nearby search."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.appointments import schedules, search
from services.appointments.catalogue_schemas import (
    CreatedScheduleResponse,
    CreateScheduleRequest,
    OfferedServiceResponse,
    ScheduleResponse,
    SearchEstablishment,
    SearchResponse,
    SearchResult,
    SearchService,
    ServiceOfferedResponse,
    StaffEstablishmentResponse,
)
from shared.errors import ApiError
from shared.request_context import Staff
from shared.unit_of_work import UnitOfWork

MANAGER, CLERK = "manager", "clerk"
READERS = frozenset({MANAGER, CLERK})
DEFAULT_SEARCH_DAYS = 14
MAX_SEARCH_DAYS = 366

# Same answer for "not yours" and "does not exist": staff cannot probe other establishments.
ESTABLISHMENT_NOT_FOUND = ApiError(404, "not_found", None, "Ressource introuvable.", "Resource not found.")
MANAGER_REQUIRED = ApiError(
    403,
    "manager_required",
    None,
    "Seul un gestionnaire de l'établissement peut modifier les horaires.",
    "Only a manager of the establishment can change schedules.",
)
STAFF_ROLE_REQUIRED = ApiError(
    403,
    "forbidden",
    None,
    "Cet espace n'est pas accessible avec ce compte.",
    "This area is not available to this account.",
)
UNKNOWN_SERVICE = ApiError(
    404,
    "unknown_service",
    "service_id",
    "Ce service n'est pas offert par votre établissement.",
    "Your establishment does not offer this service.",
)


def authorise(staff: Staff, establishment_id: uuid.UUID, *, change: bool) -> None:
    """Staff act on their own establishment only; changing schedules takes a manager."""
    if staff.establishment_id != establishment_id:
        raise ESTABLISHMENT_NOT_FOUND
    if staff.role not in READERS:
        raise STAFF_ROLE_REQUIRED
    if change and staff.role != MANAGER:
        raise MANAGER_REQUIRED


async def _require_establishment(uow: UnitOfWork, establishment_id: uuid.UUID) -> None:
    found = await uow.session.execute(text("SELECT 1 FROM establishments WHERE id = :id"), {"id": establishment_id})
    if found.first() is None:
        raise ESTABLISHMENT_NOT_FOUND


async def own_establishment(uow: UnitOfWork, staff: Staff, establishment_id: uuid.UUID) -> StaffEstablishmentResponse:
    authorise(staff, establishment_id, change=False)
    async with uow:
        row = (
            await uow.session.execute(
                text("SELECT id, name, timezone FROM establishments WHERE id = :id"), {"id": establishment_id}
            )
        ).first()
    if row is None:
        raise ESTABLISHMENT_NOT_FOUND
    return StaffEstablishmentResponse.model_validate(row._asdict())


async def list_services(uow: UnitOfWork, staff: Staff, establishment_id: uuid.UUID) -> list[ServiceOfferedResponse]:
    authorise(staff, establishment_id, change=False)
    async with uow:
        await _require_establishment(uow, establishment_id)
        rows = (
            await uow.session.execute(
                text(
                    "SELECT id, name_fr, name_en, duration_minutes FROM services "
                    "WHERE establishment_id = :id ORDER BY name_fr, id"
                ),
                {"id": establishment_id},
            )
        ).all()
    return [ServiceOfferedResponse.model_validate(row._asdict()) for row in rows]


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


def _schedule_of(request: CreateScheduleRequest) -> schedules.Schedule:
    exceptions: dict[date, list[tuple[time, time]]] = {}
    for exception in request.exceptions:
        exceptions.setdefault(exception.date, []).extend(exception.hours)
    return schedules.Schedule(
        weekdays=frozenset(request.weekdays),
        hours=(request.start_time, request.end_time),
        slot_minutes=request.slot_minutes,
        valid_from=request.valid_from,
        valid_to=request.valid_to,
        exceptions=exceptions,
    )


def _exceptions_json(schedule: schedules.Schedule) -> str:
    return json.dumps(
        [
            {"date": day.isoformat(), "hours": [[o.strftime("%H:%M"), c.strftime("%H:%M")] for o, c in hours]}
            for day, hours in sorted(schedule.exceptions.items())
        ]
    )


async def create_schedule(
    uow: UnitOfWork, staff: Staff, establishment_id: uuid.UUID, request: CreateScheduleRequest
) -> tuple[CreatedScheduleResponse, bool]:
    """Stores the schedule and materialises its future slots. Returns (schedule, newly created)."""
    authorise(staff, establishment_id, change=True)
    schedule = _schedule_of(request)
    schedules.validate(schedule)
    fingerprint = schedules.fingerprint(request.service_id, schedule, request.capacity)
    now = datetime.now(UTC)
    starts = [start for start in schedules.slot_starts(schedule) if start > now]
    async with uow:
        await _require_establishment(uow, establishment_id)
        owned = await uow.session.execute(
            text("SELECT 1 FROM services WHERE id = :id AND establishment_id = :establishment_id"),
            {"id": request.service_id, "establishment_id": establishment_id},
        )
        if owned.first() is None:
            raise UNKNOWN_SERVICE
        inserted = await uow.session.execute(
            INSERT_SCHEDULE,
            {
                "id": uuid.uuid4(),
                "establishment_id": establishment_id,
                "service_id": request.service_id,
                "weekdays": sorted(schedule.weekdays, key=schedules.WEEKDAYS.index),
                "start_time": request.start_time,
                "end_time": request.end_time,
                "slot_minutes": request.slot_minutes,
                "capacity": request.capacity,
                "valid_from": request.valid_from,
                "valid_to": request.valid_to,
                "exceptions": _exceptions_json(schedule),
                "fingerprint": fingerprint,
                "created_by": staff.id,
            },
        )
        created = inserted.first() is not None
        slots_created = (
            await uow.session.execute(
                INSERT_SLOTS,
                {
                    "service_id": request.service_id,
                    "slot_minutes": request.slot_minutes,
                    "capacity": request.capacity,
                    "ids": schedules.slot_ids(request.service_id, starts),
                    "starts": starts,
                },
            )
        ).scalar_one()
        row = (
            await uow.session.execute(
                text(f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE service_id = :s AND fingerprint = :f"),
                {"s": request.service_id, "f": fingerprint},
            )
        ).one()
        await uow.commit()
    response = CreatedScheduleResponse(**row._asdict(), slots_created=slots_created, slots_total=len(starts))
    return response, created


async def list_schedules(uow: UnitOfWork, staff: Staff, establishment_id: uuid.UUID) -> list[ScheduleResponse]:
    authorise(staff, establishment_id, change=False)
    async with uow:
        await _require_establishment(uow, establishment_id)
        rows = (
            await uow.session.execute(
                text(
                    f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE establishment_id = :id "
                    "ORDER BY valid_from DESC, created_at DESC"
                ),
                {"id": establishment_id},
            )
        ).all()
    return [ScheduleResponse.model_validate(row._asdict()) for row in rows]


# --- nearby search ---

# One statement. The box prefilter uses establishments_by_point (GiST); the exact haversine distance
# decides the radius. For each nearby service, a LATERAL walks slots_by_service_time to its first
# free slot (LIMIT 1), which is all the ranking needs; counting free slots, which reads every slot
# of the range, is done only for the establishments on the requested page.
_NEARBY_OFFERS = f"""
WITH nearby AS (
  SELECT e.id, e.name, e.address, e.city, e.postal_code, e.region, e.phone, e.latitude, e.longitude,
         e.opening_hours,
         2 * {search.EARTH_RADIUS_KM} * asin(least(1.0, sqrt(
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
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=schedules.TZ)


def search_range(date_from: datetime | None, date_to: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """[from, to): from defaults to now and never lies in the past (a past slot cannot be booked)."""
    start = max(_aware(date_from), now) if date_from else now
    end = _aware(date_to) if date_to else start + timedelta(days=DEFAULT_SEARCH_DAYS)
    if end <= start:
        raise ApiError(
            422,
            "invalid_date_range",
            "date_to",
            "La date de fin doit suivre la date de début (et ne pas être passée).",
            "The end date must come after the start date (and not be in the past).",
        )
    if end - start > timedelta(days=MAX_SEARCH_DAYS):
        raise ApiError(
            422,
            "date_range_too_long",
            "date_to",
            f"Cherchez sur au plus {MAX_SEARCH_DAYS} jours.",
            f"Search at most {MAX_SEARCH_DAYS} days at a time.",
        )
    return start, end


async def search_nearby(engine: AsyncEngine, query: SearchQuery) -> SearchResponse:
    """`engine`: connections with SEARCH_SERVER_SETTINGS."""
    centre = search.search_centre(query.postal_code, query.latitude, query.longitude)
    date_from, date_to = search_range(query.date_from, query.date_to, datetime.now(UTC))
    box = search.bounding_box(centre, query.radius_km)
    params: dict[str, Any] = {
        "lat": centre.latitude,
        "lon": centre.longitude,
        "min_lat": box.min_latitude,
        "max_lat": box.max_latitude,
        "min_lon": box.min_longitude,
        "max_lon": box.max_longitude,
        "radius_km": query.radius_km,
        "terms": search.search_terms(query.service),
        "date_from": date_from,
        "date_to": date_to,
        "limit": query.limit,
        "offset": query.offset,
    }
    async with engine.connect() as pooled:
        connection = await pooled.execution_options(isolation_level="AUTOCOMMIT")
        rows = (await connection.execute(SEARCH, params)).all()
        if rows:
            total = rows[0].total
        else:
            total = (await connection.execute(SEARCH_TOTAL, params)).scalar_one() if query.offset else 0
    return SearchResponse(
        total=total,
        limit=query.limit,
        offset=query.offset,
        date_from=date_from,
        date_to=date_to,
        results=[_result(row) for row in rows],
    )


def _result(row: Any) -> SearchResult:
    establishment = SearchEstablishment(
        id=row.id,
        name=row.name,
        address=row.address,
        city=row.city,
        postal_code=row.postal_code,
        region=row.region,
        phone=row.phone,
        latitude=row.latitude,
        longitude=row.longitude,
        opening_hours=row.opening_hours or {},
    )
    return SearchResult(
        establishment=establishment,
        distance_km=round(row.distance_km, 1),
        earliest_free_slot=row.earliest,
        services=[SearchService.model_validate(service) for service in row.services],
    )


async def offered_service(uow: UnitOfWork, service_id: uuid.UUID) -> OfferedServiceResponse:
    async with uow:
        row = (
            await uow.session.execute(
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
        raise ApiError(404, "service_not_found", "service_id", "Service introuvable.", "Service not found.")
    values = row._asdict()
    service = {k: values.pop(k) for k in ("service_id", "name_fr", "name_en", "duration_minutes")}
    return OfferedServiceResponse(**service, establishment=SearchEstablishment(**values))
