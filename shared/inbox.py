"""Inbox: the ids of events a service has applied, recorded in the same transaction as the effect."""

from sqlalchemy import Column, DateTime, Table, Text, Uuid, func
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import messaging_metadata, transaction_driver_connection
from shared.messages import EventEnvelope

inbox_table = Table(
    "inbox",
    messaging_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("event_type", Text, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


RECORD_ONCE = """
INSERT INTO inbox (event_id, event_type) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING RETURNING event_id
"""


async def record_once(session: AsyncSession, envelope: EventEnvelope) -> bool:
    """True the first time this event is seen; False for a duplicate delivery."""
    driver = await transaction_driver_connection(session)
    return await driver.fetchval(RECORD_ONCE, envelope.id, envelope.type) is not None
