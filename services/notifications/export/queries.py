"""The notifications service's SQL for the citizen's export: the messages sent about the account and the
reminders planned for it."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.models import deliveries, reminders
from shared.db import columns_of


@dataclass(frozen=True)
class DeliveryRow:
    id: uuid.UUID
    kind: str
    channel: str
    recipient: str
    account_id: uuid.UUID | None
    language: str
    subject: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class ReminderRow:
    id: uuid.UUID
    appointment_id: uuid.UUID
    account_id: uuid.UUID | None
    offset_minutes: int
    starts_at: datetime
    local_day: date
    due_at: datetime
    state: str
    destinations: dict[str, Any]
    created_at: datetime
    settled_at: datetime | None


async def deliveries_of(session: AsyncSession, account_id: uuid.UUID) -> list[DeliveryRow]:
    statement = (
        select(*columns_of(DeliveryRow, deliveries))
        .where(deliveries.c.account_id == account_id)
        .order_by(deliveries.c.created_at.desc(), deliveries.c.id)
    )
    return [DeliveryRow(**row._mapping) for row in (await session.execute(statement)).all()]


async def reminders_of(session: AsyncSession, account_id: uuid.UUID) -> list[ReminderRow]:
    statement = (
        select(*columns_of(ReminderRow, reminders))
        .where(reminders.c.account_id == account_id)
        .order_by(reminders.c.due_at.desc(), reminders.c.id)
    )
    return [ReminderRow(**row._mapping) for row in (await session.execute(statement)).all()]
