"""What every service runs besides its HTTP routes: database, bus, outbox relay, consumer, workers.

A service's main.py builds one ServiceRuntime, registers its handlers and workers, and hands
`runtime.lifespan` to FastAPI. Shutdown order matters for SIGTERM: stop consuming and workers
first, flush the outbox relay, then close the broker and the database.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog

from shared.bus import Bus
from shared.consumer import EventConsumer, Handler
from shared.db import asyncpg_dsn, database_answers, make_engine, make_sessionmaker
from shared.logging import configure_logging
from shared.messages import Contract
from shared.outbox import OutboxRelay
from shared.settings import ServiceSettings
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

Worker = Callable[[], Awaitable[None]]


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings) -> None:
        configure_logging(settings.service_name, settings.log_level)
        self.settings = settings
        self.engine = make_engine(settings.database_url, settings.db_pool_size)
        self.sessions = make_sessionmaker(self.engine)
        self.bus = Bus(
            settings.amqp_url,
            settings.service_name,
            namespace=settings.bus_namespace,
            prefetch=settings.consumer_prefetch,
            delivery_limit=settings.delivery_limit,
        )
        self.relay = OutboxRelay(asyncpg_dsn(settings.database_url), self.bus, settings.outbox_poll_seconds)
        self._workers: list[Worker] = []
        self._tasks: list[asyncio.Task[Any]] = []

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    def consume(self, handlers: dict[type[Contract], Handler]) -> None:
        consumer = EventConsumer(self.sessions, handlers)
        self.bus.subscribe(consumer.routing_keys, consumer)

    def add_worker(self, worker: Worker) -> None:
        self._workers.append(worker)

    async def ready(self) -> dict[str, bool]:
        return {"database": await database_answers(self.engine), "broker": self.bus.connected}

    @asynccontextmanager
    async def lifespan(self, _app: object) -> AsyncIterator[None]:
        self._tasks = [
            asyncio.create_task(self.bus.run(), name="bus"),
            asyncio.create_task(self.relay.run(), name="outbox-relay"),
            *(asyncio.create_task(worker(), name=getattr(worker, "__name__", "worker")) for worker in self._workers),
        ]
        log.info("service_started")
        try:
            yield
        finally:
            for task in self._tasks:
                if task.get_name() != "outbox-relay":
                    task.cancel()
            relay_task = next(t for t in self._tasks if t.get_name() == "outbox-relay")
            relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.relay.stop()
            await self.bus.close()
            await self.engine.dispose()
            log.info("service_stopped")
