"""HTTP routes of the appointments service: parse, call a use case, answer."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from services.appointments import service
from services.appointments.schemas import (
    AppointmentResponse,
    BookAppointmentRequest,
    BookedAppointmentResponse,
    CancelAppointmentRequest,
    EstablishmentResponse,
    SlotResponse,
)
from shared.unit_of_work import UnitOfWork

router = APIRouter()


def unit_of_work(request: Request) -> UnitOfWork:
    return request.app.state.runtime.unit_of_work()


UoW = Annotated[UnitOfWork, Depends(unit_of_work)]


@router.post("/appointments", status_code=status.HTTP_201_CREATED, response_model=BookedAppointmentResponse)
async def book_appointment(body: BookAppointmentRequest, uow: UoW) -> BookedAppointmentResponse:
    return await service.book_appointment(uow, body)


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentResponse)
async def cancel_appointment(
    appointment_id: uuid.UUID, body: CancelAppointmentRequest, uow: UoW
) -> AppointmentResponse:
    return await service.cancel_appointment(uow, appointment_id, body.token)


@router.get("/establishments", response_model=list[EstablishmentResponse])
async def list_establishments(
    uow: UoW, limit: Annotated[int, Query(ge=1, le=100)] = 20, offset: Annotated[int, Query(ge=0)] = 0
) -> list[EstablishmentResponse]:
    return await service.list_establishments(uow, limit, offset)


@router.get("/slots", response_model=list[SlotResponse])
async def list_free_slots(
    uow: UoW,
    service_id: uuid.UUID,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SlotResponse]:
    start = date_from or datetime.now(UTC)
    return await service.list_free_slots(uow, service_id, start, date_to or start + timedelta(days=14), limit)
