"""Inbox: the ids of events a service has applied, recorded in the same transaction as the effect."""

from sqlalchemy import Column, DateTime, Table, Text, Uuid, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import messaging_metadata
from shared.messages import EventEnvelope

inbox_table = Table(
    "inbox",
    messaging_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("event_type", Text, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


async def record_once(session: AsyncSession, envelope: EventEnvelope) -> bool:
    """True the first time this event is seen; False for a duplicate delivery."""
    result = await session.execute(
        insert(inbox_table)
        .values(event_id=envelope.id, event_type=envelope.type)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(inbox_table.c.event_id)
    )
    return result.first() is not None
