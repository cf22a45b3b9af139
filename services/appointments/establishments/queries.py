"""The SQL of establishments: what operators create, read and edit, and a service's clinic rules."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

_SERVICE_COLUMNS = (
    "id, establishment_id, name_fr, name_en, duration_minutes, default_capacity, cancel_cutoff_hours, "
    "instructions_fr, instructions_en"
)
_ESTABLISHMENT_COLUMNS = (
    "id, name, address, city, postal_code, region, phone, latitude, longitude, timezone, opening_hours"
)


@dataclass(frozen=True)
class StoredService:
    id: uuid.UUID
    establishment_id: uuid.UUID
    name_fr: str
    name_en: str
    duration_minutes: int
    default_capacity: int
    cancel_cutoff_hours: int
    instructions_fr: str | None
    instructions_en: str | None


@dataclass(frozen=True)
class StoredEstablishment:
    id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    region: str | None
    phone: str | None
    latitude: float
    longitude: float
    timezone: str
    opening_hours: dict[str, list[list[str]]]
    services: list[StoredService]


@dataclass(frozen=True)
class EstablishmentFields:
    """What an operator sets on an establishment, checked and located."""

    name: str
    address: str
    city: str
    postal_code: str
    region: str
    phone: str
    latitude: float
    longitude: float
    opening_hours: dict[str, list[list[str]]]


@dataclass(frozen=True)
class ServiceFields:
    name_fr: str
    name_en: str
    duration_minutes: int
    default_capacity: int
    cancel_cutoff_hours: int
    instructions_fr: str | None
    instructions_en: str | None


def _establishment(row: Row[Any], services: list[StoredService]) -> StoredEstablishment:
    values = dict(row._mapping)
    return StoredEstablishment(**values, services=services)


async def _services_of(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[StoredService]]:
    rows = (
        await session.execute(
            text(
                f"SELECT {_SERVICE_COLUMNS} FROM services WHERE establishment_id = ANY(:ids) "
                "ORDER BY establishment_id, name_fr, id"
            ),
            {"ids": ids},
        )
    ).all()
    found: dict[uuid.UUID, list[StoredService]] = {establishment_id: [] for establishment_id in ids}
    for row in rows:
        found[row.establishment_id].append(StoredService(**row._mapping))
    return found


async def establishments(session: AsyncSession, name: str | None, limit: int, offset: int) -> list[StoredEstablishment]:
    """By name; `name`: words the name contains, whatever their case."""
    rows = (
        await session.execute(
            text(
                f"SELECT {_ESTABLISHMENT_COLUMNS} FROM establishments "
                "WHERE CAST(:name AS text) IS NULL OR strpos(lower(name), lower(CAST(:name AS text))) > 0 "
                "ORDER BY name, id LIMIT :limit OFFSET :offset"
            ),
            {"name": name, "limit": limit, "offset": offset},
        )
    ).all()
    services = await _services_of(session, [row.id for row in rows])
    return [_establishment(row, services[row.id]) for row in rows]


async def establishment(session: AsyncSession, establishment_id: uuid.UUID) -> StoredEstablishment | None:
    row = (
        await session.execute(
            text(f"SELECT {_ESTABLISHMENT_COLUMNS} FROM establishments WHERE id = :id"), {"id": establishment_id}
        )
    ).first()
    if row is None:
        return None
    return _establishment(row, (await _services_of(session, [establishment_id]))[establishment_id])


async def insert_establishment(session: AsyncSession, establishment_id: uuid.UUID, fields: EstablishmentFields) -> None:
    await session.execute(
        text(
            "INSERT INTO establishments (id, name, address, city, postal_code, region, phone, latitude, longitude, "
            "opening_hours) VALUES (:id, :name, :address, :city, :postal_code, :region, :phone, :latitude, "
            ":longitude, CAST(:opening_hours AS jsonb))"
        ),
        {**vars(fields), "id": establishment_id, "opening_hours": json.dumps(fields.opening_hours)},
    )


async def update_establishment(session: AsyncSession, establishment_id: uuid.UUID, fields: EstablishmentFields) -> bool:
    """Whether it exists (and was updated)."""
    updated = await session.execute(
        text(
            "UPDATE establishments SET name = :name, address = :address, city = :city, postal_code = :postal_code, "
            "region = :region, phone = :phone, latitude = :latitude, longitude = :longitude, "
            "opening_hours = CAST(:opening_hours AS jsonb) WHERE id = :id RETURNING id"
        ),
        {**vars(fields), "id": establishment_id, "opening_hours": json.dumps(fields.opening_hours)},
    )
    return updated.first() is not None


async def insert_service(
    session: AsyncSession, service_id: uuid.UUID, establishment_id: uuid.UUID, fields: ServiceFields
) -> StoredService:
    row = (
        await session.execute(
            text(
                "INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes, default_capacity, "
                "cancel_cutoff_hours, instructions_fr, instructions_en) VALUES (:id, :establishment_id, :name_fr, "
                ":name_en, :duration_minutes, :default_capacity, :cancel_cutoff_hours, :instructions_fr, "
                f":instructions_en) RETURNING {_SERVICE_COLUMNS}"
            ),
            {**vars(fields), "id": service_id, "establishment_id": establishment_id},
        )
    ).one()
    return StoredService(**row._mapping)


async def set_service_rules(
    session: AsyncSession,
    establishment_id: uuid.UUID,
    service_id: uuid.UUID,
    cancel_cutoff_hours: int,
    instructions_fr: str | None,
    instructions_en: str | None,
) -> StoredService | None:
    """The service with its new rules; None when the establishment offers no such service."""
    row = (
        await session.execute(
            text(
                "UPDATE services SET cancel_cutoff_hours = :cutoff, instructions_fr = :fr, instructions_en = :en "
                f"WHERE id = :id AND establishment_id = :establishment_id RETURNING {_SERVICE_COLUMNS}"
            ),
            {
                "id": service_id,
                "establishment_id": establishment_id,
                "cutoff": cancel_cutoff_hours,
                "fr": instructions_fr,
                "en": instructions_en,
            },
        )
    ).first()
    return StoredService(**row._mapping) if row is not None else None
