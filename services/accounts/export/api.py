"""The accounts service's part of the citizen's export ("my data"), for the gateway to compose."""

from fastapi import APIRouter

from services.accounts.export import use_cases
from services.accounts.export.schemas import AccountsExportResponse
from services.accounts.sessions.api import AccountsDeps
from shared.request_context import Citizen, UoW

router = APIRouter()


@router.get("/my/export")
async def my_export(account_id: Citizen, uow: UoW, d: AccountsDeps) -> AccountsExportResponse:
    return await use_cases.export_account(uow, d.vault, account_id)
