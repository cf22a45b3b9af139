"""The aio-pika bus: one durable topic exchange for domain events, one quorum queue per consumer.

Publishing uses publisher confirms and `mandatory`, with returns raising, so an event is only
reported sent once the broker has routed and stored it. Each consuming service gets a quorum
queue `<service>` with a delivery limit; messages that exceed it dead-letter to `<service>.dlq`.

An event no queue is bound for yet (AccountRegistered, PatientArrived... until a service wants them)
goes to the events exchange's alternate exchange, `clinic.unrouted`, and from there to the bounded
`unrouted` queue: the broker counts it as routed and confirms it, so the outbox marks it sent instead
of retrying it for ever. `mandatory` still refuses what reaches no queue at all (the alternate
exchange or its queue deleted) and the confirm still reports a broker's nack.

The alternate exchange is an argument of the events exchange, not a policy: every process declares
the whole topology over AMQP, so a fresh machine, a test's namespace, Compose and Kubernetes get it
with no broker-side step (no management plugin, no rabbitmqctl, no operator CRD). RabbitMQ refuses to
redeclare an existing exchange with other arguments (PRECONDITION_FAILED), so the exchange took a new
name, `clinic.events.v2`. Brokers that have the former `clinic.events` keep it: the consumers' durable
queues stay bound to it, and each process binds the new exchange to it (`#`), so what a pod of the
previous release publishes during a rolling upgrade still reaches every queue (RabbitMQ delivers a message
once to a queue however many paths lead there), the gateway's new revocation queues included. Once no such
pod runs it is unused and can be deleted (`rabbitmqctl delete_exchange clinic.events`). A later change to
the exchange's arguments takes the same step (`.v3`).
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
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

# The unrouted queue only lets an operator see what no service consumes yet: bounded in count, bytes and
# age (events may carry personal data: an hour, like the outbox keeps its published rows), the oldest
# dropped first. A classic queue, not a quorum one: nobody consumes it, so replicating every unrouted event
# through Raft on three nodes would cost the broker for nothing, and losing it with its node loses nothing.
UNROUTED_QUEUE_ARGUMENTS: dict[str, FieldValue] = {
    "x-queue-type": "classic",
    "x-max-length": 10_000,
    "x-max-length-bytes": 16 * 1024 * 1024,
    "x-message-ttl": 3_600_000,
    "x-overflow": "drop-head",
}

MessageCallback = Callable[[AbstractIncomingMessage], Awaitable[None]]


def events_exchange_name(namespace: str = "") -> str:
    return f"{namespace}clinic.events.v2"


def legacy_events_exchange_name(namespace: str = "") -> str:
    """The events exchange before it had an alternate exchange."""
    return f"{namespace}clinic.events"


def unrouted_names(namespace: str = "") -> tuple[str, str]:
    """The alternate exchange and the queue behind it."""
    return f"{namespace}clinic.unrouted", f"{namespace}unrouted"


async def declare_events_exchange(channel: AbstractChannel, namespace: str = "") -> AbstractExchange:
    """The events exchange, with its alternate exchange and the bounded `unrouted` queue: the one declaration
    every publisher and subscriber makes (the arguments must be the same everywhere)."""
    exchange_name, queue_name = unrouted_names(namespace)
    unrouted = await channel.declare_exchange(exchange_name, ExchangeType.FANOUT, durable=True)
    queue = await channel.declare_queue(queue_name, durable=True, arguments=UNROUTED_QUEUE_ARGUMENTS)
    await queue.bind(unrouted)
    return await channel.declare_exchange(
        events_exchange_name(namespace),
        ExchangeType.TOPIC,
        durable=True,
        arguments={"alternate-exchange": exchange_name},
    )


class Bus:
    def __init__(self, url: str, service: str, namespace: str = "", prefetch: int = 32, delivery_limit: int = 5):
        self._url = url
        self.service = service
        self.namespace = namespace
        self.exchange_name = events_exchange_name(namespace)
        self.unrouted_exchange_name, self.unrouted_queue_name = unrouted_names(namespace)
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
            self._exchange = await declare_events_exchange(channel, self.namespace)
            await self._follow_legacy_exchange(connection)
            for routing_keys, callback in self._consumers:
                await self._start_consumer(connection, routing_keys, callback)
        except BaseException:
            await connection.close()
            raise
        self._publish_channel = channel
        self._connection = connection
        log.info("broker_connected", exchange=self.exchange_name)

    async def _follow_legacy_exchange(self, connection: AbstractRobustConnection) -> None:
        """Bind the events exchange to the former one when this broker still has it (see the module's docstring)."""
        # A passive declare of a missing exchange closes its channel, hence a channel of its own. Bound there, not
        # on the robust publishing channel, which would bind again after each reconnection, and fail once the
        # former exchange is deleted: the binding is durable, kept by the broker.
        async with connection.channel() as channel:
            try:
                legacy = await channel.declare_exchange(legacy_events_exchange_name(self.namespace), passive=True)
            except aio_pika.exceptions.ChannelNotFoundEntity:
                return
            exchange = await channel.declare_exchange(self.exchange_name, passive=True)
            await exchange.bind(legacy, routing_key="#")

    async def _start_consumer(
        self, connection: AbstractRobustConnection, routing_keys: list[str], callback: MessageCallback
    ) -> None:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self._prefetch)
        dlx = await channel.declare_exchange(self.dead_letter_exchange_name, ExchangeType.DIRECT, durable=True)
        dlq = await channel.declare_queue(self.dlq_name, durable=True, arguments={"x-queue-type": "quorum"})
        await dlq.bind(dlx, routing_key=self.queue_name)
        exchange = await declare_events_exchange(channel, self.namespace)
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
