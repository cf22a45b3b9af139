"""A failed statement's error never carries its parameters: what the engines of shared/db.py raise is what
ends up in a traceback or a log line. Before hide_parameters, it listed every value of the failed INSERT."""

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.db import make_engine

PRIVATE = "alice.private@example.org"


async def test_a_failed_insert_does_not_show_its_parameters(messaging_db_url: str) -> None:
    engine = make_engine(messaging_db_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            with pytest.raises(DBAPIError) as failed:
                # PostgreSQL refuses NUL in text: the very failure the review saw on registration.
                await conn.execute(
                    text("INSERT INTO outbox (event_id, routing_key, body) VALUES (:id, :key, :body)"),
                    {"id": uuid.uuid4(), "key": "test.ping.v1", "body": f"{PRIVATE}\x00"},
                )
    finally:
        await engine.dispose()
    message = str(failed.value)
    assert "INSERT INTO outbox" in message  # the statement still says what failed
    assert PRIVATE not in message
    assert "test.ping.v1" not in message
    assert "hidden" in message  # SQLAlchemy's "[SQL parameters hidden due to hide_parameters=True]"
