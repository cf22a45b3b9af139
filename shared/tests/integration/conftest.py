import asyncio
from collections.abc import AsyncIterator
from typing import ClassVar

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import make_engine, make_sessionmaker, messaging_metadata
from shared.devstack.databases import database_url
from shared.messages import Contract
from shared.outbox import NOTIFY_TRIGGER_SQL


class Ping(Contract):
    producer: ClassVar[str] = "test"
    event_type: ClassVar[str] = "Ping"
    version: ClassVar[int] = 1

    n: int


async def _recreate(admin_url: str, url: str) -> None:
    admin = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    await admin.execute('DROP DATABASE IF EXISTS "test_messaging" WITH (FORCE)')
    await admin.execute('CREATE DATABASE "test_messaging"')
    await admin.close()
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(messaging_metadata.create_all)
        for statement in NOTIFY_TRIGGER_SQL:
            await conn.exec_driver_sql(statement)
    await engine.dispose()


@pytest.fixture(scope="session")
def messaging_db_url(pg_admin_url: str) -> str:
    """A database holding only the outbox and inbox tables, for the shared library's own tests."""
    url = database_url(pg_admin_url, "test_messaging")
    asyncio.run(_recreate(pg_admin_url, url))
    return url


@pytest.fixture
async def sessions(messaging_db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(messaging_db_url, pool_size=5)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("TRUNCATE outbox, inbox RESTART IDENTITY")
    yield make_sessionmaker(engine)
    await engine.dispose()
