"""What PostgreSQL did during a benchmark phase: WAL written, checkpoints started, outbox events published.

Read from the server's own counters before and after, so that a report says whether a checkpoint started
inside the window (each page is then logged in full the first time it changes) and how much of the email
pipeline ran beside the bookings (the outbox relay shares the appointments process with them). Both moved
the booking figure by 10% or more between runs of the same code (bench/RESULTS.md).
"""

from dataclasses import dataclass
from typing import Any

import asyncpg

WAL_POSITION = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
CHECKPOINTS = "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
CHECKPOINTS_SINCE_17 = "SELECT num_timed + num_requested FROM pg_stat_checkpointer"  # moved in PostgreSQL 17
UNPUBLISHED = "SELECT count(*) FROM outbox WHERE published_at IS NULL"


@dataclass(frozen=True)
class PgSnapshot:
    wal_bytes: int
    checkpoints: int
    unpublished_events: int


async def snapshot(dsn: str) -> PgSnapshot:
    """`dsn`: the appointments database (its outbox); WAL and checkpoints are the whole server's."""
    conn = await asyncpg.connect(dsn)
    try:
        newer = conn.get_server_version().major >= 17
        return PgSnapshot(
            wal_bytes=await conn.fetchval(WAL_POSITION),
            checkpoints=await conn.fetchval(CHECKPOINTS_SINCE_17 if newer else CHECKPOINTS),
            unpublished_events=await conn.fetchval(UNPUBLISHED),
        )
    finally:
        await conn.close()


def during(before: PgSnapshot, after: PgSnapshot, bookings: int) -> dict[str, Any]:
    """Per booking of the window. Each booking wrote one event: those not left unpublished were published."""
    published = bookings + before.unpublished_events - after.unpublished_events
    wal_bytes = after.wal_bytes - before.wal_bytes
    return {
        "wal_bytes": wal_bytes,
        "wal_bytes_per_booking": round(wal_bytes / bookings) if bookings else None,
        "checkpoints_started": after.checkpoints - before.checkpoints,
        "events_published": published,
        "events_published_per_booking": round(published / bookings, 3) if bookings else None,
    }
