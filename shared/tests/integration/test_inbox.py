"""The inbox runs on the session's driver connection: same transaction as the handler's effect."""

import asyncio

import pytest
from sqlalchemy import text

from shared.db import make_engine, make_sessionmaker, transaction_driver_connection
from shared.inbox import record_each_once, record_once
from shared.tests.integration.conftest import Ping
from shared.unit_of_work import UnitOfWork


async def _inbox_ids(sessions) -> list:
    async with sessions() as session:
        return list((await session.execute(text("SELECT event_id FROM inbox"))).scalars())


async def test_an_event_recorded_in_a_unit_of_work_that_does_not_commit_is_not_kept(sessions):
    envelope = Ping(n=1).to_envelope()
    async with UnitOfWork(sessions) as uow:
        assert await record_once(uow.session, envelope)
        # Visible inside the transaction, to the session's own statements too.
        seen = (await uow.session.execute(text("SELECT count(*) FROM inbox"))).scalar_one()
        assert seen == 1
    assert await _inbox_ids(sessions) == []
    async with UnitOfWork(sessions) as uow:
        assert await record_once(uow.session, envelope)
        await uow.commit()
    assert await _inbox_ids(sessions) == [envelope.id]
    async with UnitOfWork(sessions) as uow:
        assert not await record_once(uow.session, envelope)


async def test_driver_statements_after_session_statements_share_the_transaction(sessions):
    envelope = Ping(n=2).to_envelope()
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(text("SELECT 1"))
        driver = await transaction_driver_connection(uow.session)
        assert driver.is_in_transaction()
        assert await record_once(uow.session, envelope)
        session_pid = (await uow.session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert await driver.fetchval("SELECT pg_backend_pid()") == session_pid
    assert await _inbox_ids(sessions) == []


async def test_concurrent_deliveries_of_one_event_record_it_once(sessions):
    envelope = Ping(n=3).to_envelope()

    async def deliver() -> bool:
        async with UnitOfWork(sessions) as uow:
            first = await record_once(uow.session, envelope)
            await asyncio.sleep(0.05)  # both transactions open at once: the second waits on the first's row
            await uow.commit()
            return first

    assert sorted(await asyncio.gather(deliver(), deliver())) == [False, True]
    assert await _inbox_ids(sessions) == [envelope.id]


async def test_a_session_without_a_transaction_is_refused(messaging_db_url):
    engine = make_engine(messaging_db_url, pool_size=1).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with make_sessionmaker(engine)() as session:
            with pytest.raises(RuntimeError, match="no open transaction"):
                await record_once(session, Ping(n=4).to_envelope())
    finally:
        await engine.dispose()


async def test_a_batch_is_recorded_in_one_statement_and_only_new_events_come_back(sessions):
    first, second, third = (Ping(n=n).to_envelope() for n in (5, 6, 7))
    async with UnitOfWork(sessions) as uow:
        # The same event twice in one batch (two deliveries of it): recorded once, reported new once.
        assert await record_each_once(uow.session, [first, second, first]) == {first.id, second.id}
        await uow.commit()
    async with UnitOfWork(sessions) as uow:
        assert await record_each_once(uow.session, [second, third, first]) == {third.id}
        await uow.commit()
    assert sorted(await _inbox_ids(sessions)) == sorted([first.id, second.id, third.id])
