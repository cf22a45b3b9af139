"""Inbox: the ids of events a service has applied, recorded in the same transaction as the effect."""

import uuid
from collections.abc import Sequence

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


RECORD_EACH_ONCE = """
INSERT INTO inbox (event_id, event_type) SELECT * FROM unnest($1::uuid[], $2::text[])
ON CONFLICT (event_id) DO NOTHING RETURNING event_id
"""


async def record_each_once(session: AsyncSession, envelopes: Sequence[EventEnvelope]) -> set[uuid.UUID]:
    """Records the events in one statement; returns the ids seen for the first time (the others are
    duplicate deliveries, already applied)."""
    driver = await transaction_driver_connection(session)
    rows = await driver.fetch(RECORD_EACH_ONCE, [e.id for e in envelopes], [e.type for e in envelopes])
    return {row["event_id"] for row in rows}


async def record_once(session: AsyncSession, envelope: EventEnvelope) -> bool:
    """True the first time this event is seen; False for a duplicate delivery."""
    return envelope.id in await record_each_once(session, [envelope])
