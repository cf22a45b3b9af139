"""Establishments on the platform: operators create and edit them and add services; an establishment's
manager sets a service's clinic rules. Every change is reported (EstablishmentChanged, ids only) through the
outbox in the same transaction, for verification's append-only audit log."""

import uuid
from datetime import UTC, datetime
from typing import Literal

from services.appointments.catalogue.rules import UnknownService
from services.appointments.establishments import queries, rules
from services.appointments.establishments.queries import EstablishmentFields, ServiceFields
from services.appointments.establishments.schemas import (
    CreateEstablishmentRequest,
    EstablishmentRequest,
    EstablishmentServiceResponse,
    NewServiceRequest,
    OperatorEstablishmentResponse,
    ServiceRulesRequest,
)
from shared.contracts.appointments import EstablishmentChanged
from shared.ids import new_id
from shared.staff import EstablishmentNotFound, Staff
from shared.unit_of_work import UnitOfWork

Action = Literal["created", "updated", "service_added", "rules_changed"]


def _report(
    uow: UnitOfWork,
    actor: Staff,
    action: Action,
    establishment_id: uuid.UUID,
    service_id: uuid.UUID | None = None,
) -> None:
    uow.publish(
        EstablishmentChanged(
            action=action,
            actor_id=actor.id,
            actor_role="operator" if action != "rules_changed" else "manager",
            establishment_id=establishment_id,
            service_id=service_id,
            at=datetime.now(UTC),
        )
    )


def _fields(request: EstablishmentRequest) -> EstablishmentFields:
    located = rules.locate(request.postal_code)
    hours: dict[str, list[rules.Hours]] = dict(request.opening_hours.items())
    rules.check_opening_hours(hours)
    return EstablishmentFields(
        name=request.name,
        address=request.address,
        city=request.city,
        postal_code=located.postal_code,
        region=request.region,
        phone=request.phone,
        latitude=located.point.latitude,
        longitude=located.point.longitude,
        opening_hours=rules.opening_hours_document(hours),
    )


def _service_fields(request: NewServiceRequest) -> ServiceFields:
    return ServiceFields(
        name_fr=request.name_fr,
        name_en=request.name_en,
        duration_minutes=request.duration_minutes,
        default_capacity=request.default_capacity,
        cancel_cutoff_hours=request.cancel_cutoff_hours,
        instructions_fr=rules.instructions(request.instructions_fr),
        instructions_en=rules.instructions(request.instructions_en),
    )


def _response(row: queries.StoredEstablishment) -> OperatorEstablishmentResponse:
    return OperatorEstablishmentResponse.model_validate(row, from_attributes=True)


async def establishment_exists(uow: UnitOfWork, establishment_id: uuid.UUID) -> bool:
    async with uow:
        return await queries.establishment(uow.session, establishment_id) is not None


async def list_establishments(
    uow: UnitOfWork, operator: Staff, name: str | None, limit: int, offset: int
) -> list[OperatorEstablishmentResponse]:
    operator.authorise_operator()
    async with uow:
        rows = await queries.establishments(uow.session, name, limit, offset)
    return [_response(row) for row in rows]


async def get_establishment(
    uow: UnitOfWork, operator: Staff, establishment_id: uuid.UUID
) -> OperatorEstablishmentResponse:
    operator.authorise_operator()
    async with uow:
        row = await queries.establishment(uow.session, establishment_id)
    if row is None:
        raise EstablishmentNotFound
    return _response(row)


async def create_establishment(
    uow: UnitOfWork,
    operator: Staff,
    request: CreateEstablishmentRequest,
    *,
    establishment_id: uuid.UUID | None = None,
    service_ids: list[uuid.UUID] | None = None,
) -> OperatorEstablishmentResponse:
    """A new establishment with its services; located from its postal code. Its first manager is appointed
    through accounts (an invitation), with the id returned here. The ids are new unless given, one per service
    in order (demo data derives them, to be the same on every run)."""
    operator.authorise_operator()
    fields = _fields(request)
    services = [_service_fields(service) for service in request.services]
    establishment_id = establishment_id or new_id()
    ids = service_ids or [new_id() for _ in services]
    async with uow:
        await queries.insert_establishment(uow.session, establishment_id, fields)
        for service_id, service in zip(ids, services, strict=True):
            await queries.insert_service(uow.session, service_id, establishment_id, service)
        _report(uow, operator, "created", establishment_id)
        row = await queries.establishment(uow.session, establishment_id)
        await uow.commit()
    assert row is not None  # inserted in this very transaction
    return _response(row)


async def update_establishment(
    uow: UnitOfWork, operator: Staff, establishment_id: uuid.UUID, request: EstablishmentRequest
) -> OperatorEstablishmentResponse:
    operator.authorise_operator()
    fields = _fields(request)
    async with uow:
        if not await queries.update_establishment(uow.session, establishment_id, fields):
            raise EstablishmentNotFound
        _report(uow, operator, "updated", establishment_id)
        row = await queries.establishment(uow.session, establishment_id)
        await uow.commit()
    assert row is not None
    return _response(row)


async def add_service(
    uow: UnitOfWork, operator: Staff, establishment_id: uuid.UUID, request: NewServiceRequest
) -> EstablishmentServiceResponse:
    operator.authorise_operator()
    fields = _service_fields(request)
    async with uow:
        if await queries.establishment(uow.session, establishment_id) is None:
            raise EstablishmentNotFound
        service = await queries.insert_service(uow.session, new_id(), establishment_id, fields)
        _report(uow, operator, "service_added", establishment_id, service.id)
        await uow.commit()
    return EstablishmentServiceResponse.model_validate(service, from_attributes=True)


async def set_service_rules(
    uow: UnitOfWork, manager: Staff, establishment_id: uuid.UUID, service_id: uuid.UUID, request: ServiceRulesRequest
) -> EstablishmentServiceResponse:
    """The clinic's rules for one of its services: the cut-off for citizens' online changes and the visit's
    instructions. Takes effect at once, for appointments already booked too."""
    manager.authorise(establishment_id, manager_only=True)
    async with uow:
        service = await queries.set_service_rules(
            uow.session,
            establishment_id,
            service_id,
            request.cancel_cutoff_hours,
            rules.instructions(request.instructions_fr),
            rules.instructions(request.instructions_en),
        )
        if service is None:
            raise UnknownService
        _report(uow, manager, "rules_changed", establishment_id, service_id)
        await uow.commit()
    return EstablishmentServiceResponse.model_validate(service, from_attributes=True)
