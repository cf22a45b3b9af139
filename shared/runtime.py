"""What every service runs besides its HTTP routes: database, bus, outbox relay, consumer, workers.

A service's main.py builds one ServiceRuntime, registers its handlers and workers, and hands
`runtime.lifespan` to FastAPI. On SIGTERM uvicorn first stops accepting connections and lets the
requests in flight finish; then this lifespan shuts down in an order that loses nothing: stop
consuming (the broker delivers no more) while the messages already delivered finish and ack, and
workers stop (those registered with a `stop` finish their current item; the others are cancelled);
then the outbox relay flushes what the requests and handlers committed; then the broker and the
database close. The whole sequence is bounded by `shutdown_grace_seconds`: past it, what is left is
abandoned, which is still safe (unacked messages are redelivered and deduplicated by the inbox,
unsent outbox rows are relayed by the next process).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Coroutine, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.bus import Bus
from shared.caller import CallerVerifier
from shared.consumer import EventConsumer, EventHandler
from shared.db import asyncpg_dsn, database_answers, make_engine, make_sessionmaker
from shared.garbage_collection import settle_garbage_collector
from shared.logging import configure_logging
from shared.messages import Contract
from shared.metrics import ScrapeTimeGauges, metrics_endpoint
from shared.outbox import OutboxRelay
from shared.settings import ServiceSettings
from shared.tracing import configure_tracing
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

Worker = Callable[[], Coroutine[Any, Any, None]]
StopWorker = Callable[[], None]


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings) -> None:
        configure_logging(settings.service_name, settings.log_level)
        configure_tracing(settings.service_name, settings.tracing_exporter, settings.tracing_otlp_endpoint)
        self.settings = settings
        # Verifies the access tokens the gateway forwards: shared/request_context.py's Citizen and StaffMember.
        self.callers = CallerVerifier(settings.jwt_public_key)
        self.engine = make_engine(
            settings.database_url, settings.db_pool_size, settings.db_max_overflow, settings.db_pool_timeout_seconds
        )
        self.sessions = make_sessionmaker(self.engine)
        self.bus = Bus(
            settings.amqp_url,
            settings.service_name,
            namespace=settings.bus_namespace,
            prefetch=settings.consumer_prefetch,
            delivery_limit=settings.delivery_limit,
        )
        self.relay = OutboxRelay(
            asyncpg_dsn(settings.database_url),
            self.bus,
            settings.outbox_poll_seconds,
            coalesce_seconds=settings.outbox_coalesce_seconds,
        )
        self._workers: list[tuple[Worker, StopWorker | None]] = []
        self._consumers: list[EventConsumer] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._engines: list[AsyncEngine] = []

    def tuned_engine(self, server_settings: dict[str, str], pool_size: int) -> AsyncEngine:
        """A second, small pool on the service's database whose connections start with these settings (for
        a query that needs planner settings of its own); disposed of at shutdown with the main one."""
        engine = make_engine(
            self.settings.database_url, pool_size, 0, self.settings.db_pool_timeout_seconds, server_settings
        )
        self._engines.append(engine)
        return engine

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.relay.wake)

    def tuned_units_of_work(self, server_settings: dict[str, str], pool_size: int) -> Callable[[], UnitOfWork]:
        """Units of work on a small pool of their own (tuned_engine), for a worker whose statements need planner
        settings of their own."""
        sessions = make_sessionmaker(self.tuned_engine(server_settings, pool_size))
        return lambda: UnitOfWork(sessions, self.relay.wake)

    def consume(
        self,
        handlers: Iterable[EventHandler],
        alone: Collection[type[Contract]] = (),
        ignore_when: Mapping[type[Contract], Callable[[Contract], bool]] | None = None,
        only_topics: Mapping[type[Contract], Collection[str]] | None = None,
    ) -> None:
        """`alone`: events whose handler has effects outside the database; `ignore_when`: what makes an event
        of no concern to this service; `only_topics`: the topics of an event its queue hears (see EventConsumer)."""
        consumer = EventConsumer(
            self.sessions, handlers, self.relay.wake, alone=alone, ignore_when=ignore_when, only_topics=only_topics
        )
        self._consumers.append(consumer)
        self.bus.subscribe(consumer.binding_keys, consumer)

    def add_worker(self, worker: Worker, stop: StopWorker | None = None) -> None:
        """`stop` asks the worker to return after its current item; without it, shutdown cancels it."""
        self._workers.append((worker, stop))

    def every(self, seconds: float, step: Callable[[UnitOfWork], Awaitable[int]], done: str) -> None:
        """A worker that runs `step` in a fresh unit of work every `seconds` (a retention purge, say). It logs
        `done` with the count `step` returns when it did something; a failure (a database restart) is logged
        as `<done>_failed` and tried again next round."""

        async def run() -> None:
            while True:
                try:
                    count = await step(self.unit_of_work())
                    if count:
                        log.info(done, count=count)
                except Exception as exc:  # noqa: BLE001 - e.g. a database restart: try again next round
                    log.warning(f"{done}_failed", error=type(exc).__name__)
                await asyncio.sleep(seconds)

        self.add_worker(run)

    async def ready(self) -> dict[str, bool]:
        return {"database": await database_answers(self.engine), "broker": self.bus.connected}

    @asynccontextmanager
    async def lifespan(self, _app: object) -> AsyncIterator[None]:
        bus_task = asyncio.create_task(self.bus.run(), name="bus")
        relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")
        worker_tasks: list[tuple[asyncio.Task[None], StopWorker | None]] = [
            (asyncio.create_task(worker(), name=getattr(worker, "__name__", "worker")), stop)
            for worker, stop in self._workers
        ]
        self._tasks = [bus_task, relay_task, *(task for task, _ in worker_tasks)]
        settle_garbage_collector()
        log.info("service_started")
        try:
            gauges = ScrapeTimeGauges(self.relay, self.bus, service=self.settings.service_name)
            async with metrics_endpoint(self.settings.metrics_host, self.settings.metrics_port, gauges):
                yield
        finally:
            await self._shut_down(bus_task, relay_task, worker_tasks)

    async def _shut_down(
        self,
        bus_task: asyncio.Task[Any],
        relay_task: asyncio.Task[Any],
        worker_tasks: list[tuple[asyncio.Task[Any], StopWorker | None]],
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.shutdown_grace_seconds
        started = loop.time()

        def remaining() -> float:
            return max(0.0, deadline - loop.time())

        log.info("service_stopping", grace_seconds=self.settings.shutdown_grace_seconds)
        bus_task.cancel()
        await self.bus.stop_consuming()
        for task, stop in worker_tasks:
            if stop is None:
                task.cancel()
            else:
                stop()
        drained = True
        try:
            await asyncio.wait_for(asyncio.gather(*(c.drained() for c in self._consumers)), remaining())
        except TimeoutError:
            drained = False
            for consumer in self._consumers:
                consumer.abandon()
        workers = [task for task, _ in worker_tasks]
        if workers:
            _, late = await asyncio.wait(workers, timeout=remaining())
            for task in late:
                task.cancel()
        # Last: the handlers and requests above may have committed events that must leave now.
        flushed = True
        try:
            await asyncio.wait_for(self.relay.stop(), max(remaining(), 1.0))
        except TimeoutError:
            flushed = False
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bus.close()
        for engine in (self.engine, *self._engines):
            await engine.dispose()
        log.info(
            "service_stopped",
            seconds=round(loop.time() - started, 3),
            messages_drained=drained,
            outbox_flushed=flushed,
        )
