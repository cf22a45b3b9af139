"""The verification service's part of the citizen's export ("my data"), for the gateway to compose."""

from fastapi import APIRouter

from services.verification.export import use_cases
from services.verification.export.schemas import VerificationExportResponse
from shared.request_context import Citizen, UoW

router = APIRouter()


@router.get("/my/export")
async def my_export(account_id: Citizen, uow: UoW) -> VerificationExportResponse:
    return await use_cases.export_verification(uow, account_id)
