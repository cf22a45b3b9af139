"""The appointments service's part of the citizen's export ("my data"), for the gateway to compose."""

from fastapi import APIRouter

from services.appointments.export import use_cases
from services.appointments.export.schemas import AppointmentsExportResponse
from shared.request_context import Citizen, UoW

router = APIRouter()


@router.get("/my/export")
async def my_export(account_id: Citizen, uow: UoW) -> AppointmentsExportResponse:
    return await use_cases.export_appointments(uow, account_id)
