"""The aio-pika bus: one durable topic exchange for domain events, one quorum queue per consumer.

Publishing uses publisher confirms and `mandatory`, with returns raising, so an event is only
reported sent once the broker has routed and stored it. Each consuming service gets a quorum
queue `<service>` with a delivery limit; messages that exceed it dead-letter to `<service>.dlq`.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
    ConsumerTag,
    ExchangeType,
    FieldValue,
)

from shared.tracing import traced_consumer

log = structlog.get_logger(__name__)

PUBLISH_TIMEOUT_SECONDS = 10.0

MessageCallback = Callable[[AbstractIncomingMessage], Awaitable[None]]


class Bus:
    def __init__(self, url: str, service: str, namespace: str = "", prefetch: int = 32, delivery_limit: int = 5):
        self._url = url
        self.service = service
        self.exchange_name = f"{namespace}clinic.events"
        self.dead_letter_exchange_name = f"{namespace}clinic.dead-letter"
        self.queue_name = f"{namespace}{service}"
        self.dlq_name = f"{self.queue_name}.dlq"
        self._prefetch = prefetch
        self._delivery_limit = delivery_limit
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractRobustChannel | None = None
        self._consumers: list[tuple[list[str], MessageCallback]] = []
        self._consuming: list[tuple[AbstractQueue, ConsumerTag]] = []

    @property
    def connected(self) -> bool:
        return (
            self._connection is not None
            and not self._connection.is_closed
            and self._publish_channel is not None
            and not self._publish_channel.is_closed
        )

    def subscribe(self, routing_keys: list[str], callback: MessageCallback) -> None:
        """Register this service's consumer; started by `connect()`."""
        self._consumers.append((routing_keys, traced_consumer(callback)))

    async def run(self) -> None:
        """Connect, retrying until the broker answers; the robust connection then self-heals."""
        delay = 0.5
        while self._connection is None:
            try:
                await self.connect()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep serving HTTP while the broker is away
                log.warning("broker_unreachable", error=type(exc).__name__, retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def connect(self) -> None:
        connection = await aio_pika.connect_robust(
            self._url, client_properties={"connection_name": self.service}, reconnect_interval=1
        )
        try:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            self._exchange = await channel.declare_exchange(self.exchange_name, ExchangeType.TOPIC, durable=True)
            for routing_keys, callback in self._consumers:
                await self._start_consumer(connection, routing_keys, callback)
        except BaseException:
            await connection.close()
            raise
        self._publish_channel = channel
        self._connection = connection
        log.info("broker_connected", exchange=self.exchange_name)

    async def _start_consumer(
        self, connection: AbstractRobustConnection, routing_keys: list[str], callback: MessageCallback
    ) -> None:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self._prefetch)
        dlx = await channel.declare_exchange(self.dead_letter_exchange_name, ExchangeType.DIRECT, durable=True)
        dlq = await channel.declare_queue(self.dlq_name, durable=True, arguments={"x-queue-type": "quorum"})
        await dlq.bind(dlx, routing_key=self.queue_name)
        exchange = await channel.declare_exchange(self.exchange_name, ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(
            self.queue_name,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": self._delivery_limit,
                "x-dead-letter-exchange": self.dead_letter_exchange_name,
                "x-dead-letter-routing-key": self.queue_name,
            },
        )
        for key in routing_keys:
            await queue.bind(exchange, routing_key=key)
        self._consuming.append((queue, await queue.consume(callback)))

    async def stop_consuming(self) -> None:
        """Ask the broker for no more deliveries (graceful shutdown); messages already delivered still
        run and ack, and the robust connection will not resubscribe after a reconnect."""
        consuming, self._consuming = self._consuming, []
        for queue, tag in consuming:
            with contextlib.suppress(Exception):
                await queue.cancel(tag)

    async def dlq_depth(self) -> int | None:
        """Messages waiting in `<service>.dlq`; None when this service consumes nothing or the broker is away."""
        if not self._consumers or not self.connected:
            return None
        assert self._connection is not None
        # A short-lived channel: a failed passive declare closes the channel it ran on.
        async with self._connection.channel() as channel:
            queue = await channel.declare_queue(self.dlq_name, passive=True)
            return queue.declaration_result.message_count or 0

    async def publish(
        self,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        correlation_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Returns once the broker confirmed; raises DeliveryError when unroutable or nacked."""
        if not self.connected:
            raise ConnectionError("broker not connected")
        # A copy typed as aio_pika's header table (dict is invariant: it could put other values in ours).
        message_headers: dict[str, FieldValue] | None = dict(headers) if headers is not None else None
        message = aio_pika.Message(
            body,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id,
            correlation_id=correlation_id,
            headers=message_headers,
        )
        await self._exchange.publish(message, routing_key, mandatory=True, timeout=PUBLISH_TIMEOUT_SECONDS)

    async def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
        self._connection = None
        self._publish_channel = None
