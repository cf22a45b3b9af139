"""The notifications service in-process (its real lifespan), against real PostgreSQL, RabbitMQ,
the SMTP sink and an SMS sink; events are published on the bus as the producers would."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager

import aio_pika
import asyncpg
import pytest
from fastapi import FastAPI

from devstack.sms_sink import SmsSink
from devstack.testing.fixtures import free_port
from services.notifications.clock import Clock, SystemClock
from services.notifications.main import create_app
from services.notifications.settings import NotificationsSettings
from shared.bus import declare_events_exchange
from shared.messages import Contract, EventEnvelope

SMS_TOKEN = "sms-provider-test-token"
SMS_SENDER = "+15145550100"
PORTAL = "https://portail.example"


@pytest.fixture(scope="module")
def sms_sink_server() -> Iterator[SmsSink]:
    sink = SmsSink(port=free_port(), token=SMS_TOKEN).start()
    yield sink
    sink.stop()


@pytest.fixture
def sms_sink(sms_sink_server: SmsSink) -> SmsSink:
    sms_sink_server.clear()
    return sms_sink_server


@pytest.fixture
def settings(clean_databases, amqp_url, bus_namespace, mail_sink, sms_sink) -> NotificationsSettings:
    return NotificationsSettings(
        environment="test",
        database_url=clean_databases["notifications"],
        amqp_url=amqp_url,
        bus_namespace=bus_namespace,
        smtp_port=mail_sink.port,
        sms_provider_url=sms_sink.url,
        sms_provider_token=SMS_TOKEN,
        sms_sender=SMS_SENDER,
        portal_base_url=PORTAL,
        dispatch_concurrency=2,
        reminder_poll_seconds=0.2,
    )


@pytest.fixture
def clock() -> Clock:
    """The service's clock; reminder tests override this fixture with a ManualClock."""
    return SystemClock()


async def eventually(predicate: Callable[[], Awaitable[bool] | bool], timeout: float = 15.0) -> None:
    """Polls without blocking the loop the service under test runs on."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


@pytest.fixture
async def service(settings: NotificationsSettings, clock: Clock) -> AsyncIterator[FastAPI]:
    async with running(settings, clock) as app:
        yield app


@asynccontextmanager
async def running(settings: NotificationsSettings, clock: Clock) -> AsyncIterator[FastAPI]:
    """One notifications replica, from start to stop (its real lifespan)."""
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        await eventually(lambda: app.state.runtime.bus.connected)
        yield app


Publish = Callable[..., Awaitable[EventEnvelope]]


@pytest.fixture
async def publish(amqp_url: str, bus_namespace: str) -> AsyncIterator[Publish]:
    """publish(contract) or publish(envelope=...) to the events exchange, confirmed and routed, by the key its producer
    publishes it with (a booking's carries its topic: account, clerk or anonymous)."""
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    exchange = await declare_events_exchange(channel, bus_namespace)

    async def send(contract: Contract | None = None, *, envelope: EventEnvelope | None = None) -> EventEnvelope:
        envelope = envelope or contract.to_envelope(correlation_id=uuid.uuid4().hex)
        await exchange.publish(
            aio_pika.Message(
                envelope.model_dump_json().encode(),
                message_id=str(envelope.id),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            envelope.published_key,
            mandatory=True,
        )
        return envelope

    yield send
    await connection.close()


async def fetch(database_url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def tables_containing(database_url: str, needles: list[str]) -> dict[str, list[str]]:
    """Which tables (outbox excepted: relayed and blanked elsewhere) hold any needle, in any column,
    compared case-insensitively on each row's whole text form."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        tables = [
            r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        found: dict[str, list[str]] = {}
        for table in tables:
            if table == "outbox":
                continue
            rows = [r["row"].lower() for r in await conn.fetch(f'SELECT t::text AS row FROM "{table}" t')]
            hits = [needle for needle in needles if any(needle.lower() in row for row in rows)]
            if hits:
                found[table] = hits
        return found
    finally:
        await conn.close()
