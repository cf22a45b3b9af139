"""The delivery worker: sends the due messages of the delivery log with retries, a few workers at once,
woken when something is queued (use_cases.send_due_deliveries is each step)."""

import asyncio
import collections
import contextlib
from collections.abc import Callable

import structlog

from services.notifications import use_cases
from services.notifications.channels import Channels
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


class WorkerBell:
    """Wakes one idle worker per ring. With an event every worker woke for each queued delivery and all
    but one claimed nothing: 1,433 empty claims (a transaction each) for 503 batches sent in a 20 s
    booking surge, with four workers."""

    def __init__(self) -> None:
        self._idle: collections.deque[asyncio.Future[None]] = collections.deque()
        self._missed = False

    def ring(self) -> None:
        while self._idle:
            waiter = self._idle.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        # No worker waiting: they are all sending, and each claims again when its batch is done. Kept
        # for the one that just found nothing and is on its way to wait.
        self._missed = True

    def ring_all(self) -> None:
        while self._idle:
            self.ring()
        self._missed = True

    async def wait(self, at_most: float) -> None:
        """Until rung, or `at_most` seconds (a poll, for deliveries due later or queued by another replica)."""
        if self._missed:
            self._missed = False
            return
        waiter = asyncio.get_running_loop().create_future()
        self._idle.append(waiter)
        try:
            await asyncio.wait_for(waiter, at_most)
        except TimeoutError:
            pass
        finally:
            with contextlib.suppress(ValueError):
                self._idle.remove(waiter)


class DeliveryDispatcher:
    """Sends due deliveries. The row stays locked (FOR UPDATE SKIP LOCKED) while it is being sent,
    so two replicas never send the same row at once, and a crash mid-send leaves it pending."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        channels: Callable[[], Channels],
        concurrency: int,
        max_attempts: int,
        batch: int = 8,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._channels = channels
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._batch = batch
        self._bell = WorkerBell()
        self._stopping = False

    def unit_of_work(self) -> UnitOfWork:
        """A unit of work on the dispatcher's connections."""
        return self._unit_of_work()

    def wake(self) -> None:
        self._bell.ring()

    def stop(self) -> None:
        """Graceful shutdown: each worker finishes the send in hand (cancelling it mid-SMTP could
        make the next replica send it again) and returns."""
        self._stopping = True
        self._bell.ring_all()

    async def run(self) -> None:
        await asyncio.gather(*(self._worker() for _ in range(self._concurrency)))

    async def _worker(self) -> None:
        # Each worker owns its channels (its SMTP connection, its HTTP session).
        channels = self._channels()
        try:
            while not self._stopping:
                try:
                    sent_one = await self.send_next(channels)
                except Exception as exc:  # noqa: BLE001 - e.g. database restart: pause, go on
                    log.warning("dispatcher_error", error=type(exc).__name__)
                    sent_one = False
                if not sent_one and not self._stopping:
                    await self._bell.wait(1.0)
        finally:
            await channels.close()

    async def send_next(self, channels: Channels) -> bool:
        """Sends the next due deliveries (up to the batch); True when any was handled."""
        async with self.unit_of_work() as uow:
            return await use_cases.send_due_deliveries(
                uow, channels, self._batch, self._max_attempts, lambda: self._stopping
            )
