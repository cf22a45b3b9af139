"""Catalogue use cases: establishments and free slots, staff schedules that open slots, and the public
nearby search."""

import dataclasses
import uuid
from datetime import UTC, date, datetime, time

from sqlalchemy.ext.asyncio import AsyncEngine

from services.appointments.catalogue import queries, rules
from services.appointments.catalogue.rules import SearchQuery
from services.appointments.catalogue.schemas import (
    CreatedScheduleResponse,
    CreateScheduleRequest,
    EstablishmentResponse,
    OfferedServiceResponse,
    ScheduleResponse,
    SearchEstablishment,
    SearchResponse,
    SearchResult,
    SearchService,
    ServiceOfferedResponse,
    SlotResponse,
    StaffEstablishmentResponse,
)
from shared.staff import EstablishmentNotFound, Staff
from shared.unit_of_work import UnitOfWork


async def _require_establishment(uow: UnitOfWork, establishment_id: uuid.UUID) -> None:
    if not await queries.establishment_exists(uow.session, establishment_id):
        raise EstablishmentNotFound


async def own_establishment(uow: UnitOfWork, staff: Staff, establishment_id: uuid.UUID) -> StaffEstablishmentResponse:
    staff.authorise(establishment_id)
    async with uow:
        row = await queries.staff_establishment(uow.session, establishment_id)
    if row is None:
        raise EstablishmentNotFound
    return StaffEstablishmentResponse.model_validate(row, from_attributes=True)


async def list_services(uow: UnitOfWork, staff: Staff, establishment_id: uuid.UUID) -> list[ServiceOfferedResponse]:
    staff.authorise(establishment_id)
    async with uow:
        await _require_establishment(uow, establishment_id)
        rows = await queries.services_of(uow.session, establishment_id)
    return [ServiceOfferedResponse.model_validate(row, from_attributes=True) for row in rows]


async def list_establishments(uow: UnitOfWork, limit: int, offset: int) -> list[EstablishmentResponse]:
    async with uow:
        rows = await queries.establishments(uow.session, limit, offset)
    return [EstablishmentResponse.model_validate(row, from_attributes=True) for row in rows]


async def list_free_slots(
    uow: UnitOfWork, service_id: uuid.UUID, date_from: datetime | None, date_to: datetime | None, limit: int
) -> list[SlotResponse]:
    start, end = rules.slot_window(date_from, date_to, datetime.now(UTC))
    async with uow:
        rows = await queries.free_slots(uow.session, service_id, start, end, limit)
    return [SlotResponse.model_validate(row, from_attributes=True) for row in rows]


# --- schedules ---


def _schedule_of(request: CreateScheduleRequest) -> rules.Schedule:
    exceptions: dict[date, list[tuple[time, time]]] = {}
    for exception in request.exceptions:
        exceptions.setdefault(exception.date, []).extend(exception.hours)
    return rules.Schedule(
        weekdays=frozenset(request.weekdays),
        hours=(request.start_time, request.end_time),
        slot_minutes=request.slot_minutes,
        valid_from=request.valid_from,
        valid_to=request.valid_to,
        exceptions=exceptions,
    )


async def create_schedule(
    uow: UnitOfWork, staff: Staff, establishment_id: uuid.UUID, request: CreateScheduleRequest
) -> tuple[CreatedScheduleResponse, bool]:
    """Stores the schedule and materialises its future slots, each with the schedule's capacity or, without one,
    the service's default. Returns (schedule, newly created)."""
    staff.authorise(establishment_id, manager_only=True)
    schedule = _schedule_of(request)
    rules.validate(schedule)
    now = datetime.now(UTC)
    starts = [start for start in rules.slot_starts(schedule) if start > now]
    async with uow:
        await _require_establishment(uow, establishment_id)
        default_capacity = await queries.offered_capacity(uow.session, establishment_id, request.service_id)
        if default_capacity is None:
            raise rules.UnknownService
        capacity = request.capacity or default_capacity
        fingerprint = rules.fingerprint(request.service_id, schedule, capacity)
        created = await queries.insert_schedule(
            uow.session,
            queries.NewSchedule(
                id=uuid.uuid4(),
                establishment_id=establishment_id,
                service_id=request.service_id,
                weekdays=sorted(schedule.weekdays, key=rules.WEEKDAYS.index),
                start_time=request.start_time,
                end_time=request.end_time,
                slot_minutes=request.slot_minutes,
                capacity=capacity,
                valid_from=request.valid_from,
                valid_to=request.valid_to,
                exceptions=rules.exceptions_json(schedule),
                fingerprint=fingerprint,
                created_by=staff.id,
            ),
        )
        slots_created = await queries.insert_slots(
            uow.session,
            request.service_id,
            request.slot_minutes,
            capacity,
            rules.slot_ids(request.service_id, starts),
            starts,
        )
        row = await queries.schedule_by_fingerprint(uow.session, request.service_id, fingerprint)
        await uow.commit()
    response = CreatedScheduleResponse.model_validate(
        {**dataclasses.asdict(row), "slots_created": slots_created, "slots_total": len(starts)}
    )
    return response, created


async def list_schedules(uow: UnitOfWork, staff: Staff, establishment_id: uuid.UUID) -> list[ScheduleResponse]:
    staff.authorise(establishment_id)
    async with uow:
        await _require_establishment(uow, establishment_id)
        rows = await queries.schedules_of(uow.session, establishment_id)
    return [ScheduleResponse.model_validate(row, from_attributes=True) for row in rows]


# --- nearby search ---


async def search_nearby(engine: AsyncEngine, query: SearchQuery) -> SearchResponse:
    """`engine`: connections with queries.SEARCH_SERVER_SETTINGS."""
    centre = rules.search_centre(query.postal_code, query.latitude, query.longitude)
    date_from, date_to = rules.search_range(query.date_from, query.date_to, datetime.now(UTC))
    box = rules.bounding_box(centre, query.radius_km)
    area = queries.SearchArea(
        lat=centre.latitude,
        lon=centre.longitude,
        min_lat=box.min_latitude,
        max_lat=box.max_latitude,
        min_lon=box.min_longitude,
        max_lon=box.max_longitude,
        radius_km=query.radius_km,
        terms=rules.search_terms(query.service),
        date_from=date_from,
        date_to=date_to,
        limit=query.limit,
        offset=query.offset,
    )
    rows, total = await queries.search_nearby(engine, area)
    return SearchResponse(
        total=total,
        limit=query.limit,
        offset=query.offset,
        date_from=date_from,
        date_to=date_to,
        results=[_result(row) for row in rows],
    )


def _establishment(place: queries.Place) -> SearchEstablishment:
    return SearchEstablishment.model_validate({**dataclasses.asdict(place), "opening_hours": place.opening_hours or {}})


def _result(row: queries.SearchRow) -> SearchResult:
    return SearchResult(
        establishment=_establishment(row.place),
        distance_km=round(row.distance_km, 1),
        earliest_free_slot=row.earliest,
        services=[SearchService.model_validate(service) for service in row.services],
    )


async def offered_service(uow: UnitOfWork, service_id: uuid.UUID) -> OfferedServiceResponse:
    async with uow:
        row = await queries.offered_service(uow.session, service_id)
    if row is None:
        raise rules.ServiceNotFound
    return OfferedServiceResponse(
        service_id=row.service_id,
        name_fr=row.name_fr,
        name_en=row.name_en,
        duration_minutes=row.duration_minutes,
        establishment=SearchEstablishment.model_validate(dataclasses.asdict(row.establishment)),
    )
