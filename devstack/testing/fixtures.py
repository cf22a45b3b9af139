"""pytest fixtures: real PostgreSQL, RabbitMQ and SMTP for every test.

Servers come from the environment (CLINIC_PG_URL, CLINIC_AMQP_URL; `make test` exports them
after making sure they answer). Without them, testcontainers is used when a Docker engine runs;
otherwise the test FAILS and says what to start. Nothing is ever skipped.
"""

import asyncio
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import aio_pika
import asyncpg
import pytest

from devstack.databases import GATEWAY, SERVICES, prepare_databases, prepare_gateway_database
from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from devstack.supervisor import StackConfig, Supervisor, replica_name
from devstack.testing.tcp_proxy import TcpProxy
from shared.bus import events_exchange_name, unrouted_names

T = TypeVar("T")

HOW_TO_START = {
    "PostgreSQL": "run `make test` (it starts it), or `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) "
    "main start`, or `apt-get install postgresql`, then export CLINIC_PG_URL=postgresql://postgres@127.0.0.1:5432/postgres",
    "RabbitMQ": "run `make test` (it starts it), or `rabbitmq-server -detached`, or `apt-get install rabbitmq-server`, "
    "then export CLINIC_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/",
}


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run that also works under a running loop (Playwright's sync API keeps one)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _docker_engine_runs() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False).returncode == 0  # noqa: S607


def _missing(server: str, detail: str) -> None:
    pytest.fail(f"{server} is not reachable ({detail}). To fix: {HOW_TO_START[server]}.", pytrace=False)


async def _pg_answers(url: str) -> None:
    conn = await asyncpg.connect(url, timeout=5)
    await conn.close()


async def _amqp_answers(url: str) -> None:
    connection = await aio_pika.connect(url, timeout=5)
    await connection.close()


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    url = os.environ.get("CLINIC_PG_URL")
    if url:
        try:
            run_sync(_pg_answers(url))
        except Exception as exc:  # noqa: BLE001 - any failure means the server is not usable
            _missing("PostgreSQL", f"CLINIC_PG_URL={url}: {type(exc).__name__}: {exc}")
        yield url
    elif _docker_engine_runs():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver=None) as container:
            yield container.get_connection_url()
    else:
        _missing("PostgreSQL", "CLINIC_PG_URL is not set and no Docker engine runs for testcontainers")


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    url = os.environ.get("CLINIC_AMQP_URL")
    if url:
        try:
            run_sync(_amqp_answers(url))
        except Exception as exc:  # noqa: BLE001
            _missing("RabbitMQ", f"CLINIC_AMQP_URL={url}: {type(exc).__name__}: {exc}")
        yield url
    elif _docker_engine_runs():
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-management") as container:
            params = container.get_connection_params()
            yield f"amqp://guest:guest@{params.host}:{params.port}/"
    else:
        _missing("RabbitMQ", "CLINIC_AMQP_URL is not set and no Docker engine runs for testcontainers")


@pytest.fixture(scope="session")
def test_db_prefix() -> str:
    """Unique per test session, so concurrent sessions on one server never drop each other's databases."""
    return os.environ.get("CLINIC_TEST_DB_PREFIX", f"test_{uuid.uuid4().hex[:6]}_")


@pytest.fixture(scope="session")
def database_urls(pg_admin_url: str, test_db_prefix: str) -> Iterator[dict[str, str]]:
    """Fresh, migrated databases <prefix><service> for this test session, dropped at its end."""
    urls = prepare_databases(pg_admin_url, prefix=test_db_prefix, drop_first=True)
    yield urls
    run_sync(drop_databases(pg_admin_url, [f"{test_db_prefix}{service}" for service in SERVICES]))


@pytest.fixture(scope="session")
def stack_database_urls(pg_admin_url: str, test_db_prefix: str) -> Iterator[dict[str, str]]:
    """The stack's own databases: its outbox relays must not publish (and blank) the rows that the
    integration tests write into theirs, whichever of them runs first in the session."""
    prefix = f"{test_db_prefix}s_"
    urls = prepare_databases(pg_admin_url, prefix=prefix, drop_first=True)
    yield urls
    run_sync(drop_databases(pg_admin_url, [f"{prefix}{service}" for service in SERVICES]))


@pytest.fixture(scope="session")
def stack_gateway_database_url(pg_admin_url: str, test_db_prefix: str) -> Iterator[str]:
    """The stack's gateway database (the waiting room's shared state)."""
    prefix = f"{test_db_prefix}s_"
    yield prepare_gateway_database(pg_admin_url, prefix=prefix, drop_first=True)
    run_sync(drop_databases(pg_admin_url, [f"{prefix}{GATEWAY}"]))


async def drop_databases(admin_url: str, names: list[str]) -> None:
    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _truncate(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            if r["tablename"] != "alembic_version"
        ]
        if not tables:
            return
        # The running services may still be finishing the previous test's work: a deadlock with
        # one of their transactions is retried rather than failing the next test.
        for attempt in range(5):
            try:
                await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
                return
            except asyncpg.exceptions.DeadlockDetectedError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
    finally:
        await conn.close()


def truncate_all(database_urls: dict[str, str]) -> None:
    async def run() -> None:
        await asyncio.gather(*(_truncate(url) for url in database_urls.values()))

    run_sync(run())


@pytest.fixture
def clean_databases(database_urls: dict[str, str]) -> dict[str, str]:
    """The session's databases, emptied before the test."""
    truncate_all(database_urls)
    return database_urls


async def delete_topology(amqp_url: str, namespace: str, queues: list[str]) -> None:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for queue in queues:
            await channel.queue_delete(f"{namespace}{queue}")
            await channel.queue_delete(f"{namespace}{queue}.dlq")
        unrouted_exchange, unrouted_queue = unrouted_names(namespace)
        await channel.queue_delete(unrouted_queue)
        await channel.exchange_delete(events_exchange_name(namespace))
        await channel.exchange_delete(unrouted_exchange)
        await channel.exchange_delete(f"{namespace}clinic.dead-letter")
    finally:
        await connection.close()


@pytest.fixture
def bus_namespace(amqp_url: str) -> Iterator[str]:
    """A private prefix for exchanges and queues: each test gets a clean topology on the real broker."""
    namespace = f"t{uuid.uuid4().hex[:8]}."
    yield namespace
    run_sync(delete_topology(amqp_url, namespace, [*SERVICES, "test"]))


@pytest.fixture(scope="session")
def mail_sink_server() -> Iterator[MailSink]:
    sink = MailSink(port=free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture
def mail_sink(mail_sink_server: MailSink) -> MailSink:
    mail_sink_server.clear()
    return mail_sink_server


@pytest.fixture(scope="session")
def sms_sink_server() -> Iterator[SmsSink]:
    sink = SmsSink(port=free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture
def sms_sink(sms_sink_server: SmsSink) -> SmsSink:
    sms_sink_server.clear()
    return sms_sink_server


@pytest.fixture(scope="session")
def broker_proxy(amqp_url: str) -> Iterator[TcpProxy]:
    """Services under test reach RabbitMQ through this proxy, so a test can make the broker unreachable."""
    url = aio_pika.connection.make_url(amqp_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5672).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def stack(
    stack_database_urls: dict[str, str],
    stack_gateway_database_url: str,
    amqp_url: str,
    mail_sink_server: MailSink,
    sms_sink_server: SmsSink,
    broker_proxy: TcpProxy,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Supervisor]:
    """Every service and the gateway as real processes (uvicorn), on free ports, for end-to-end tests."""
    proxied = aio_pika.connection.make_url(amqp_url).with_host("127.0.0.1").with_port(broker_proxy.port)
    namespace = f"e{uuid.uuid4().hex[:8]}."
    config = StackConfig(
        database_urls=stack_database_urls,
        amqp_url=str(proxied),
        ports={name: free_port() for name in ("gateway", *SERVICES)},
        metrics_ports={name: free_port() for name in ("gateway", *SERVICES)},
        smtp_port=mail_sink_server.port,
        sms_port=sms_sink_server.port,
        bus_namespace=namespace,
        environment="test",
        # The tests book without an account from loopback by the hundred (the limit per address has its own tests).
        extra_environ={
            "APPOINTMENTS_UNLIMITED_BOOKING_SOURCES": '["127.0.0.1"]',
            # The waiting room opens only by an operator's switch here: a loaded test machine's latency must
            # not queue the other tests' requests (its overload budget has tests of its own).
            "GATEWAY_WAITING_ROOM_MAX_IN_FLIGHT": "100000",
            "GATEWAY_WAITING_ROOM_LATENCY_BUDGET_SECONDS": "3600",
            # The waiting page's browser test waits for its reload.
            "GATEWAY_WAITING_ROOM_PAGE_REFRESH_SECONDS": "4",
        },
        gateway_database_url=stack_gateway_database_url,
    )
    log_dir = Path(os.environ.get("CLINIC_TEST_LOGS", str(tmp_path_factory.mktemp("stack-logs"))))
    supervisor = Supervisor(config, log_dir=log_dir)
    try:
        supervisor.start_all()
        for name in SERVICES:
            supervisor.wait_ready(name, path="/readyz")
        yield supervisor
    finally:
        supervisor.stop_all()
        run_sync(delete_topology(amqp_url, namespace, list(SERVICES)))


# Two processes of every service and of the gateway: what issue 8 asks to run correctly side by side.
REPLICAS = {"accounts": 2, "appointments": 2, "verification": 2, "notifications": 2, "gateway": 2}
# Grace periods of the replicated stack's processes: uvicorn's HTTP drain, then the service's shutdown.
REPLICA_HTTP_GRACE_SECONDS = 5.0
REPLICA_SHUTDOWN_GRACE_SECONDS = 10.0
# Short enough for a test's slots to be near, long enough to be planned at booking (see notifications.rules.plan).
REPLICA_REMINDER_OFFSET_HOURS = 2.0
# Eight service processes (pool + overflow + relay each) under PostgreSQL's default 100 connections;
# fewer messages in hand than connections, so a consumer never waits for the pool.
REPLICA_DB_POOL_SIZE = 5
REPLICA_CONSUMER_PREFETCH = 8


@pytest.fixture(scope="session")
def replicated_stack(
    pg_admin_url: str,
    amqp_url: str,
    test_db_prefix: str,
    mail_sink_server: MailSink,
    sms_sink_server: SmsSink,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Supervisor]:
    """REPLICAS processes per app, each on its own port, on databases of their own (a second stack on
    the session's databases would relay their outboxes into its own namespace and steal their events)."""
    prefix = f"{test_db_prefix}r_"
    urls = prepare_databases(pg_admin_url, prefix=prefix, drop_first=True)
    namespace = f"r{uuid.uuid4().hex[:8]}."
    config = StackConfig(
        database_urls=urls,
        amqp_url=amqp_url,
        ports={replica_name(app, i): free_port() for app, n in REPLICAS.items() for i in range(1, n + 1)},
        metrics_ports={replica_name(app, i): free_port() for app, n in REPLICAS.items() for i in range(1, n + 1)},
        smtp_port=mail_sink_server.port,
        sms_port=sms_sink_server.port,
        bus_namespace=namespace,
        environment="test",
        replicas=REPLICAS,
        http_grace_seconds=REPLICA_HTTP_GRACE_SECONDS,
        extra_environ={
            **{f"{name.upper()}_SHUTDOWN_GRACE_SECONDS": str(REPLICA_SHUTDOWN_GRACE_SECONDS) for name in SERVICES},
            "NOTIFICATIONS_REMINDER_OFFSETS_HOURS": f"[{REPLICA_REMINDER_OFFSET_HOURS}]",
            "NOTIFICATIONS_REMINDER_POLL_SECONDS": "1",
            **{f"{name.upper()}_DB_POOL_SIZE": str(REPLICA_DB_POOL_SIZE) for name in SERVICES},
            **{f"{name.upper()}_CONSUMER_PREFETCH": str(REPLICA_CONSUMER_PREFETCH) for name in SERVICES},
            # The load books without an account from loopback by the hundred.
            "APPOINTMENTS_UNLIMITED_BOOKING_SOURCES": '["127.0.0.1"]',
        },
    )
    log_dir = Path(os.environ.get("CLINIC_TEST_LOGS", str(tmp_path_factory.mktemp("replica-logs"))))
    supervisor = Supervisor(config, log_dir=log_dir)
    try:
        # Ten interpreters importing at once on two shared cores: slow, not stuck.
        supervisor.start_all(timeout=120)
        for name in config.all_instances():
            if not name.startswith("gateway"):
                supervisor.wait_ready(name, timeout=60, path="/readyz")
        yield supervisor
    finally:
        supervisor.stop_all()
        run_sync(delete_topology(amqp_url, namespace, list(SERVICES)))
        run_sync(drop_databases(pg_admin_url, [f"{prefix}{service}" for service in SERVICES]))
