"""The benchmark's reading of PostgreSQL's counters, against the real server."""

import uuid

import asyncpg

from bench.pg_activity import PgSnapshot, during, snapshot
from shared.db import asyncpg_dsn


async def test_wal_checkpoints_and_published_events_are_read_between_two_snapshots(clean_databases):
    dsn = asyncpg_dsn(clean_databases["appointments"])
    before = await snapshot(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        # Three bookings' events, of which the relay has published one so far.
        ids = await conn.fetch(
            "INSERT INTO outbox (event_id, routing_key, body) SELECT unnest($1::uuid[]), 'r', 'x' RETURNING id",
            [uuid.uuid4() for _ in range(3)],
        )
        await conn.execute("UPDATE outbox SET published_at = now() WHERE id = $1", ids[0]["id"])
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    after = await snapshot(dsn)

    figures = during(before, after, bookings=3)
    assert figures["events_published"] == 1
    assert figures["events_published_per_booking"] == 0.333
    assert figures["checkpoints_started"] >= 1
    assert figures["wal_bytes"] > 0
    assert figures["wal_bytes_per_booking"] == round(figures["wal_bytes"] / 3)


def test_no_booking_gives_no_ratio():
    same = PgSnapshot(wal_bytes=10, checkpoints=1, unpublished_events=0)
    assert during(same, same, bookings=0)["events_published_per_booking"] is None
