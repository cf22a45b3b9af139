"""Inbox: the ids of events a service has applied, recorded in the same transaction as the effect."""

import uuid
from collections.abc import Sequence

from sqlalchemy import Column, DateTime, Table, Text, Uuid, func
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


RECORD_EACH_ONCE = """
INSERT INTO inbox (event_id, event_type) SELECT * FROM unnest($1::uuid[], $2::text[])
ON CONFLICT (event_id) DO NOTHING RETURNING event_id
"""


async def record_each_once(session: AsyncSession, envelopes: Sequence[EventEnvelope]) -> set[uuid.UUID]:
    """Records the events in one statement; returns the ids seen for the first time (the others are
    duplicate deliveries, already applied)."""
    # Through SQLAlchemy's adapter, not on the driver: the first statement of a consumer's transaction, it
    # begins that transaction where the session's commit ends it (shared.db.transaction_driver_connection).
    connection = await session.connection()
    if (
        connection.sync_connection is not None
        and connection.sync_connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    ):
        # Recorded outside the effect's transaction, a crash between the two would lose the event.
        raise RuntimeError("the session's connection has no open transaction")
    result = await connection.exec_driver_sql(
        RECORD_EACH_ONCE, ([e.id for e in envelopes], [e.type for e in envelopes])
    )
    return set(result.scalars())


async def record_once(session: AsyncSession, envelope: EventEnvelope) -> bool:
    """True the first time this event is seen; False for a duplicate delivery."""
    return envelope.id in await record_each_once(session, [envelope])
