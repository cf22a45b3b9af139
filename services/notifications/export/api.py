"""The notifications service's part of the citizen's export ("my data"), for the gateway to compose: its only
route; everything else it does comes from events."""

from fastapi import APIRouter

from services.notifications.export import use_cases
from services.notifications.export.schemas import NotificationsExportResponse
from shared.request_context import Citizen, UoW

router = APIRouter()


@router.get("/my/export")
async def my_export(account_id: Citizen, uow: UoW) -> NotificationsExportResponse:
    return await use_cases.export_notifications(uow, account_id)
