"""Sessions ended before their access tokens expire: a logout, a refresh token presented twice, a password
change, a deletion. Accounts publishes SessionsRevoked; every gateway process hears it on a queue of its own
and refuses those tokens from then on (gateway/auth.py), instead of for up to an access token's lifetime.

A gateway that starts, or whose broker connection comes back, may have missed some: it asks accounts for those
of the last `memory_seconds` (GET /session-revocations), which must cover an access token's lifetime. Until the
first answer the gateway reports itself not ready.
"""

import asyncio
import contextlib
import math
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import aio_pika
import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from pydantic import BaseModel, TypeAdapter, ValidationError

from gateway.proxy import Proxy, UpstreamUnavailable
from shared.bus import declare_events_exchange, events_exchange_name
from shared.contracts.accounts import SessionsRevoked
from shared.messages import EventEnvelope

log = structlog.get_logger(__name__)


class SessionRevocations:
    """Token id -> the `iat` before which its tokens are refused, keyed by session id (every token of an ended
    session) and by subject id (a subject whose every session ended: tokens of earlier seconds).

    The check is a dictionary lookup per key on each request, and none while nothing was revoked lately.
    """

    def __init__(self, memory_seconds: float) -> None:
        self.cutoffs: dict[str, float] = {}
        self._memory_seconds = memory_seconds
        self._added: deque[tuple[float, str]] = deque()  # (when revoked, key): forgotten oldest first
        self._latest: dict[str, float] = {}  # key -> its latest revocation: a key is forgotten after that one
        self.loaded = False  # what was revoked before this process started is known

    def add(self, event: SessionsRevoked) -> None:
        revoked_at = event.revoked_at.timestamp()
        for session in event.session_ids:
            self._set(str(session), math.inf, revoked_at)
        if event.every_session:
            # `iat` is in whole seconds: a token of the revocation's own second may be a new login's, and the
            # sessions that existed then are refused by their ids above.
            self._set(str(event.subject_id), float(math.floor(revoked_at)), revoked_at)
        self._forget_old()

    def refuses(self, subject: str, session: str | None, issued_at: float) -> bool:
        cutoffs = self.cutoffs
        if not cutoffs:
            return False
        return issued_at < cutoffs.get(session or "", -math.inf) or issued_at < cutoffs.get(subject, -math.inf)

    def _set(self, key: str, cutoff: float, revoked_at: float) -> None:
        if cutoff > self.cutoffs.get(key, -math.inf):
            self.cutoffs[key] = cutoff
        if revoked_at >= self._latest.get(key, -math.inf):
            self._latest[key] = revoked_at
            self._added.append((revoked_at, key))

    def _forget_old(self) -> None:
        # Past an access token's lifetime, the tokens a revocation refuses have expired anyway.
        horizon = datetime.now(UTC).timestamp() - self._memory_seconds
        while self._added and self._added[0][0] < horizon:
            revoked_at, key = self._added.popleft()
            if self._latest.get(key) == revoked_at:
                del self._latest[key]
                self.cutoffs.pop(key, None)


class RevocationFeed:
    """Keeps a SessionRevocations current: an exclusive, auto-deleted queue of this process bound to
    SessionsRevoked, and accounts' list at start and after each reconnection (events published while the
    connection was down reached no queue of ours)."""

    def __init__(
        self, revocations: SessionRevocations, amqp_url: str, namespace: str, proxy: Proxy, memory_seconds: float
    ) -> None:
        self._revocations = revocations
        self._amqp_url = amqp_url
        self._namespace = namespace
        self._exchange_name = events_exchange_name(namespace)
        self._proxy = proxy
        self._memory_seconds = memory_seconds
        self._connection: AbstractRobustConnection | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Subscribe (retrying until the broker answers), then load what was revoked before."""
        delay = 0.5
        while self._connection is None:
            try:
                await self._subscribe()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep serving while the broker is away
                log.warning("revocation_feed_unreachable", error=type(exc).__name__, retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        await self._load()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
        self._connection = None

    async def _subscribe(self) -> None:
        connection = await aio_pika.connect_robust(
            self._amqp_url, client_properties={"connection_name": "gateway"}, reconnect_interval=1
        )
        try:
            channel = await connection.channel()
            exchange = await declare_events_exchange(channel, self._namespace)
            # Server-named, exclusive and auto-deleted: one per process, gone with its connection, restored with it.
            queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
            await queue.bind(exchange, routing_key=SessionsRevoked.routing_key())
            await queue.consume(self._on_message, no_ack=True)
        except BaseException:
            await connection.close()
            raise
        connection.reconnect_callbacks.add(self._on_reconnect)
        self._connection = connection
        log.info("revocation_feed_subscribed", exchange=self._exchange_name)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = EventEnvelope.model_validate_json(message.body)
            self._revocations.add(SessionsRevoked.model_validate(envelope.payload))
        except ValidationError:
            log.warning("revocation_unreadable")

    def _on_reconnect(self, *_: object) -> None:
        task = asyncio.get_running_loop().create_task(self._load())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _load(self) -> None:
        delay = 0.5
        while True:
            since = datetime.now(UTC) - timedelta(seconds=self._memory_seconds)
            try:
                answer = await self._proxy.request(
                    "accounts", "GET", "/session-revocations", query=urlencode({"since": since.isoformat()})
                )
                if answer.status == 200:
                    listed = _LISTED.validate_json(answer.body)
                    break
                log.warning("revocations_not_listed", status=answer.status, retry_in=delay)
            except UpstreamUnavailable:
                log.warning("revocations_not_listed", status=None, retry_in=delay)
            except ValidationError:
                log.warning("revocations_unreadable", retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        for row in listed:
            self._revocations.add(
                SessionsRevoked(
                    subject_id=row.subject_id,
                    session_ids=[row.session_id] if row.session_id else [],
                    every_session=row.session_id is None,
                    revoked_at=row.revoked_at,
                )
            )
        self._revocations.loaded = True
        log.info("revocations_loaded", count=len(listed))


class _Revocation(BaseModel):
    """A row of accounts' GET /session-revocations."""

    subject_id: uuid.UUID
    session_id: uuid.UUID | None
    revoked_at: datetime


_LISTED = TypeAdapter(list[_Revocation])
