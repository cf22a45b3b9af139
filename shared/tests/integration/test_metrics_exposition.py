"""/metrics on every real process of the stack (uvicorn, PostgreSQL, RabbitMQ, SMTP sink), parsed with
prometheus_client's own exposition parser, before and after bookings made through the gateway. Each process
serves it on a port of its own: its API port has no /metrics."""

import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import aio_pika
import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync, truncate_all
from shared.bus import declare_events_exchange, events_exchange_name, unrouted_names

PROCESSES = ("gateway", "accounts", "appointments", "verification", "notifications")
CONSUMERS = ("accounts", "appointments", "verification", "notifications")
BOOKED = "appointments.appointment_booked.v1"
UUID_IN_LABEL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> tuple[Samples, dict[str, str]]:
    """Every sample by (name, labels), and each family's type."""
    response = httpx.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(response.text):
        types[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples, types


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def eventually(probe: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.2)


async def _open_clinic(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    """An establishment with one open slot (capacity 10) three days ahead and one slot in the past."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        establishment, service, open_slot, past_slot = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await conn.execute(
            "INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude) "
            "VALUES ($1, 'CLSC Métriques', '1 rue Test', 'Montréal', 'H2X 1Y4', 45.51, -73.57)",
            establishment,
        )
        await conn.execute(
            "INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes) "
            "VALUES ($1, $2, 'Prise de sang', 'Blood test', 15)",
            service,
            establishment,
        )
        starts = (datetime.now(UTC) + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
        await conn.executemany(
            "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) "
            "VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '15 minutes', $4)",
            [(open_slot, service, starts, 10), (past_slot, service, datetime.now(UTC) - timedelta(hours=2), 5)],
        )
        return open_slot, past_slot
    finally:
        await conn.close()


@pytest.fixture
def system(stack: Supervisor, mail_sink: MailSink) -> Supervisor:
    truncate_all(stack.config.database_urls)
    return stack


def test_every_process_exposes_its_series_and_they_count_what_happened(system: Supervisor, mail_sink: MailSink) -> None:
    urls = {name: system.config.url(name) for name in PROCESSES}
    metrics = {name: system.config.metrics_url(name) for name in PROCESSES}
    for name, url in urls.items():
        assert httpx.get(f"{url}/metrics", timeout=10).status_code == 404, f"{name} serves /metrics on its API port"
    open_slot, past_slot = run_sync(_open_clinic(system.config.database_urls["appointments"]))
    before = {name: scrape(url)[0] for name, url in metrics.items()}

    bookings = 3
    addresses = [f"metrics+{uuid.uuid4().hex[:8]}@example.org" for _ in range(bookings)]
    for address in addresses:
        response = httpx.post(
            f"{urls['gateway']}/api/appointments",
            json={"slot_id": str(open_slot), "first_name": "Léa", "last_name": "Roy", "email": address},
            timeout=10,
        )
        assert response.status_code == 201, response.text
    refused = httpx.post(
        f"{urls['gateway']}/api/appointments",
        json={"slot_id": str(past_slot), "first_name": "Léa", "last_name": "Roy", "email": addresses[0]},
        timeout=10,
    )
    assert refused.status_code == 422
    for address in addresses:
        mail_sink.wait_for_recipient(address, timeout=20)

    def delta(name: str, metric: str, **labels: str) -> float:
        return value(scrape(metrics[name])[0], metric, **labels) - value(before[name], metric, **labels)

    # Counters move by exactly what this test did (the relay and the consumer may lag the HTTP answer).
    assert delta("appointments", "clinic_bookings_total", outcome="booked", reason="") == bookings
    assert delta("appointments", "clinic_bookings_total", outcome="refused", reason="slot_in_past") == 1
    # Published with its topic: these bookings were made without an account (Contract.routing_topics).
    eventually(
        lambda: delta("appointments", "clinic_events_published_total", routing_key=f"{BOOKED}.anonymous") == bookings
    )
    eventually(
        lambda: (
            delta("notifications", "clinic_events_consumed_total", routing_key=BOOKED, outcome="applied") == bookings
        )
    )
    eventually(
        lambda: (
            delta("notifications", "clinic_notification_deliveries_total", channel="email", outcome="sent") == bookings
        )
    )
    assert delta("notifications", "clinic_notification_deliveries_total", channel="email", outcome="failed") == 0
    # Verification's queue is bound to the bookings made from an account or by a clerk: these never reached it.
    for outcome in ("applied", "ignored"):
        assert delta("verification", "clinic_events_consumed_total", routing_key=BOOKED, outcome=outcome) == 0

    after = {name: scrape(url) for name, url in metrics.items()}
    gateway, gateway_types = after["gateway"]
    appointments, types = after["appointments"]

    # HTTP series per route template: the gateway by routing-table prefix, the service by its own route.
    post_booking = {"method": "POST", "route": "/api/appointments"}
    assert (
        value(gateway, "clinic_http_requests_total", **post_booking, status="201")
        - value(before["gateway"], "clinic_http_requests_total", **post_booking, status="201")
        == bookings
    )
    assert value(gateway, "clinic_http_requests_total", **post_booking, status="422") >= 1
    assert gateway_types["clinic_http_request_duration_seconds"] == "histogram"
    assert value(gateway, "clinic_http_request_duration_seconds_count", **post_booking) >= bookings + 1
    assert value(gateway, "clinic_http_request_duration_seconds_sum", **post_booking) > 0
    service_booking = {"method": "POST", "route": "/appointments"}
    assert value(appointments, "clinic_http_requests_total", **service_booking, status="201") >= bookings
    inf_bucket = value(appointments, "clinic_http_request_duration_seconds_bucket", **service_booking, le="+Inf")
    assert inf_bucket == value(appointments, "clinic_http_request_duration_seconds_count", **service_booking)
    assert types["clinic_bookings"] == "counter"

    for name, (samples, _) in after.items():
        routes = {dict(labels)["route"] for metric, labels in samples if metric == "clinic_http_requests_total"}
        assert routes, f"{name} exposes no HTTP series"
        assert not any(UUID_IN_LABEL.search(route) for route in routes), f"{name} labels raw paths: {routes}"

    # Scrape-time gauges: the outbox drains to zero; each consumer's DLQ is there, and empty. The gateway has no
    # outbox, so no outbox series (a 0 there would read as "nothing waiting").
    namespace = system.config.bus_namespace
    assert not [series for series, _ in after["gateway"][0] if series.startswith("clinic_outbox")]
    for name in CONSUMERS:
        eventually(
            lambda name=name: (
                scrape(metrics[name])[0].get(("clinic_outbox_backlog", frozenset({("service", name)}))) == 0
            ),
            timeout=15,
        )
        samples, _ = after[name]
        assert value(samples, "clinic_outbox_oldest_unsent_age_seconds", service=name) >= 0
        assert ("clinic_outbox_oldest_unsent_age_seconds", frozenset({("service", name)})) in samples, name
        assert ("clinic_dlq_messages", frozenset({("queue", f"{namespace}{name}.dlq")})) in samples, name
        assert value(samples, "clinic_dlq_messages", queue=f"{namespace}{name}.dlq") == 0


async def _stuck_outbox_event(url: str, routing_key: str) -> uuid.UUID:
    """An event no queue is bound for, while the alternate exchange is gone (`_without_alternate_exchange`): the
    relay's mandatory publish is refused, so it stays unsent."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        event_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO outbox (event_id, routing_key, body, created_at) VALUES ($1, $2, $3, now() - interval '30 s')",
            event_id,
            routing_key,
            json.dumps({"id": str(event_id), "type": "Unbound", "version": 1, "producer": "test", "payload": {}}),
        )
        return event_id
    finally:
        await conn.close()


async def _delete_outbox_event(url: str, event_id: uuid.UUID) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute("DELETE FROM outbox WHERE event_id = $1", event_id)
    finally:
        await conn.close()


async def _without_alternate_exchange(amqp_url: str, namespace: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    try:
        await (await connection.channel()).exchange_delete(unrouted_names(namespace)[0])
    finally:
        await connection.close()


async def _restore_alternate_exchange(amqp_url: str, namespace: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    try:
        await declare_events_exchange(await connection.channel(), namespace)
    finally:
        await connection.close()


async def _poison(amqp_url: str, namespace: str, routing_key: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(events_exchange_name(namespace))
        await exchange.publish(aio_pika.Message(b"not an event envelope"), routing_key)
    finally:
        await connection.close()


async def _purge(amqp_url: str, queue: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        await (await channel.get_queue(queue)).purge()
    finally:
        await connection.close()


def test_stuck_outbox_events_and_dead_letters_show_in_the_gauges(system: Supervisor, amqp_url: str) -> None:
    url = system.config.metrics_url("notifications")
    database = system.config.database_urls["notifications"]
    dlq = f"{system.config.bus_namespace}notifications.dlq"
    unbound = "test.unbound_event.v1"
    before, _ = scrape(url)

    run_sync(_without_alternate_exchange(amqp_url, system.config.bus_namespace))
    event_id = run_sync(_stuck_outbox_event(database, unbound))
    run_sync(_poison(amqp_url, system.config.bus_namespace, BOOKED))
    try:
        # Scrape-time values are cached for 5 s: poll until the refreshed ones show.
        eventually(lambda: value(scrape(url)[0], "clinic_dlq_messages", queue=dlq) == 1)
        eventually(lambda: value(scrape(url)[0], "clinic_outbox_backlog", service="notifications") == 1)
        samples, _ = scrape(url)
        assert value(samples, "clinic_outbox_oldest_unsent_age_seconds", service="notifications") >= 30
        rejected = {"routing_key": BOOKED, "stage": "rejected"}
        assert (
            value(samples, "clinic_events_failed_total", **rejected)
            - value(before, "clinic_events_failed_total", **rejected)
            == 1
        )
        assert value(samples, "clinic_events_failed_total", routing_key=unbound, stage="publish") >= 1
        assert value(samples, "clinic_events_published_total", routing_key=unbound) == 0
    finally:
        run_sync(_delete_outbox_event(database, event_id))
        run_sync(_restore_alternate_exchange(amqp_url, system.config.bus_namespace))
        for name in CONSUMERS:  # whichever other service binds the same key got the poison too
            run_sync(_purge(amqp_url, f"{system.config.bus_namespace}{name}.dlq"))
