from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import make_engine, make_sessionmaker


@pytest.fixture
async def sessions(clean_databases: dict[str, str]) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(clean_databases["appointments"])
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()
