"""Inbox: the ids of events a service has applied, recorded in the same transaction as the effect."""

import asyncpg
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


async def transaction_driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session, inside the session's transaction (begun if need be).

    For hot statements: run on the driver with asyncpg's prepared-statement cache, they skip SQLAlchemy's
    compile and execution machinery (~0.3 ms of CPU per statement as measured in the notifications
    consumer), and still commit or roll
    back with the unit of work. Errors they raise are asyncpg's own, not SQLAlchemy's.
    """
    connection = await session.connection()
    pooled = await connection.get_raw_connection()
    driver: asyncpg.Connection = pooled.driver_connection
    if not driver.is_in_transaction():
        # SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its first statement; statements sent to the
        # driver before that would each commit on their own. Begun through the adapter so that the
        # session's commit and rollback end this very transaction.
        start = getattr(pooled.dbapi_connection, "_start_transaction", None)
        if start is not None:
            await start()
        else:  # a SQLAlchemy without that (private) method: a first statement through the adapter begins it
            await connection.exec_driver_sql("SELECT 1")
    if not driver.is_in_transaction():  # e.g. an engine set to autocommit: never write outside a transaction
        raise RuntimeError("the session's connection has no open transaction")
    return driver


RECORD_ONCE = """
INSERT INTO inbox (event_id, event_type) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING RETURNING event_id
"""


async def record_once(session: AsyncSession, envelope: EventEnvelope) -> bool:
    """True the first time this event is seen; False for a duplicate delivery."""
    driver = await transaction_driver_connection(session)
    return await driver.fetchval(RECORD_ONCE, envelope.id, envelope.type) is not None
