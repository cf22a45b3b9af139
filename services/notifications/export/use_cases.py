"""The notifications service's part of the citizen's export: the notices it sent about the account (the account's
own messages and its family's, which go to the holder) and the reminders it planned."""

import uuid
from dataclasses import asdict

from services.notifications.export import queries
from services.notifications.export.schemas import ExportedNotice, ExportedReminder, NotificationsExportResponse
from shared.unit_of_work import UnitOfWork


async def export_notifications(uow: UnitOfWork, account_id: uuid.UUID) -> NotificationsExportResponse:
    async with uow:
        notices = await queries.deliveries_of(uow.session, account_id)
        planned = await queries.reminders_of(uow.session, account_id)
    return NotificationsExportResponse(
        notices=[ExportedNotice(**asdict(row)) for row in notices],
        reminders=[
            ExportedReminder(**{**asdict(row), "destinations": {k: str(v) for k, v in row.destinations.items()}})
            for row in planned
        ],
    )
