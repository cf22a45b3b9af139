import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import ClassVar

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.databases import database_url
from devstack.testing.fixtures import drop_databases
from shared import inbox, outbox  # noqa: F401 - imported for their tables, which _recreate builds
from shared.db import make_engine, make_sessionmaker, messaging_metadata
from shared.messages import Contract


class Ping(Contract):
    producer: ClassVar[str] = "test"
    event_type: ClassVar[str] = "Ping"
    version: ClassVar[int] = 1

    n: int


class Pong(Contract):
    producer: ClassVar[str] = "test"
    event_type: ClassVar[str] = "Pong"
    version: ClassVar[int] = 1

    n: int


class Parcel(Contract):
    """An event with routing topics: published as test.parcel.v1.big or .small."""

    producer: ClassVar[str] = "test"
    event_type: ClassVar[str] = "Parcel"
    version: ClassVar[int] = 1
    routing_topics: ClassVar[tuple[str, ...]] = ("big", "small")

    grams: int

    def routing_topic(self) -> str:
        return "big" if self.grams > 1000 else "small"


async def _recreate(admin_url: str, name: str, url: str) -> None:
    admin = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(messaging_metadata.create_all)
    await engine.dispose()


@pytest.fixture(scope="session")
def messaging_db_url(pg_admin_url: str, test_db_prefix: str) -> Iterator[str]:
    """A database holding only the outbox and inbox tables, for the shared library's own tests."""
    name = f"{test_db_prefix}messaging"
    url = database_url(pg_admin_url, name)
    asyncio.run(_recreate(pg_admin_url, name, url))
    yield url
    asyncio.run(drop_databases(pg_admin_url, [name]))


@pytest.fixture
async def sessions(messaging_db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(messaging_db_url, pool_size=5)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("TRUNCATE outbox, inbox RESTART IDENTITY")
    yield make_sessionmaker(engine)
    await engine.dispose()
