"""One booking traced from the gateway, through the appointments service and its outbox, across
RabbitMQ into the notifications consumer: the gateway, appointments and notifications apps run
in this process under uvicorn (real sockets, real PostgreSQL and RabbitMQ), exporting their spans
to one in-memory exporter."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.routing import APIRoute
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from devstack.testing.fixtures import free_port
from gateway.main import create_app as create_gateway
from gateway.settings import GatewaySettings
from services.appointments.main import create_app as create_appointments
from services.appointments.settings import AppointmentsSettings
from services.notifications.main import create_app as create_notifications
from services.notifications.settings import NotificationsSettings
from shared.tracing import (
    TracingMiddleware,
    configure_tracing,
    disable_tracing,
    enable_tracing,
    publish_span,
    tracing_enabled,
    with_trace_context,
)

BOOKED = "appointments.appointment_booked.v1"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    enable_tracing(provider)
    yield exporter
    disable_tracing()


async def _serve(app: FastAPI) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 20
    while not server.started:
        if task.done() or time.monotonic() > deadline:
            raise RuntimeError("app did not start")
        await asyncio.sleep(0.05)
    return server, task, f"http://127.0.0.1:{port}"


async def _ready(url: str) -> None:
    async with httpx.AsyncClient() as client:
        deadline = time.monotonic() + 20
        while (await client.get(f"{url}/readyz")).status_code != 200:
            assert time.monotonic() < deadline, f"{url} not ready"
            await asyncio.sleep(0.1)


@pytest.fixture
async def gateway_url(
    spans: InMemorySpanExporter,
    clean_databases: dict[str, str],
    amqp_url: str,
    bus_namespace: str,
    mail_sink: MailSink,
    sms_sink: SmsSink,
) -> AsyncIterator[str]:
    common = {"environment": "test", "amqp_url": amqp_url, "bus_namespace": bus_namespace}
    appointments = create_appointments(
        AppointmentsSettings(database_url=clean_databases["appointments"], **common)  # type: ignore[arg-type]
    )
    notifications = create_notifications(
        NotificationsSettings(
            database_url=clean_databases["notifications"],
            smtp_port=mail_sink.port,
            sms_provider_url=sms_sink.url,
            **common,  # type: ignore[arg-type]
        )
    )
    running = [await _serve(appointments), await _serve(notifications)]
    gateway = create_gateway(GatewaySettings(environment="test", appointments_url=running[0][2]))
    running.append(await _serve(gateway))
    try:
        # The notifications queue must be bound before the event is published (mandatory publishing).
        for _, _, url in running[:2]:
            await _ready(url)
        yield running[2][2]
    finally:
        for server, _, _ in reversed(running):
            server.should_exit = True
        await asyncio.gather(*(task for _, task, _ in running))


async def _open_slot(url: str) -> uuid.UUID:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        establishment, service, slot = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await conn.execute(
            "INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude) "
            "VALUES ($1, 'CLSC Traces', '1 rue Test', 'Montréal', 'H2X 1Y4', 45.51, -73.57)",
            establishment,
        )
        await conn.execute(
            "INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes) "
            "VALUES ($1, $2, 'Vaccination', 'Vaccination', 15)",
            service,
            establishment,
        )
        starts = (datetime.now(UTC) + timedelta(days=2)).replace(hour=15, minute=0, second=0, microsecond=0)
        await conn.execute(
            "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) "
            "VALUES ($1, $2, $3::timestamptz, $3::timestamptz + interval '15 minutes', 5)",
            slot,
            service,
            starts,
        )
        return slot
    finally:
        await conn.close()


def _one(spans: list[ReadableSpan], name: str, kind: SpanKind) -> ReadableSpan:
    found = [span for span in spans if span.name == name and span.kind == kind]
    assert len(found) == 1, f"expected one {kind.name} span {name!r}, got {[s.name for s in spans]}"
    return found[0]


async def test_a_booking_is_one_trace_from_the_gateway_to_the_consumer(
    gateway_url: str, spans: InMemorySpanExporter, clean_databases: dict[str, str], mail_sink: MailSink
) -> None:
    slot = await _open_slot(clean_databases["appointments"])
    address = f"traces+{uuid.uuid4().hex[:8]}@example.org"
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{gateway_url}/api/appointments",
            json={"slot_id": str(slot), "first_name": "Léa", "last_name": "Roy", "email": address},
            timeout=10,
        )
    assert response.status_code == 201, response.text
    await asyncio.to_thread(mail_sink.wait_for_recipient, address, 1, 20.0)

    finished = list(spans.get_finished_spans())
    gateway = _one(finished, "POST /api/appointments", SpanKind.SERVER)
    service = _one(finished, "POST /appointments", SpanKind.SERVER)
    # A booking without an account is published with its topic, and only notifications' queue hears it.
    publish = _one(finished, f"publish {BOOKED}.anonymous", SpanKind.PRODUCER)
    consumed = [s for s in finished if s.name == f"process {BOOKED}.anonymous" and s.kind == SpanKind.CONSUMER]
    assert consumed, [s.name for s in finished]

    trace_id = gateway.context.trace_id
    assert gateway.parent is None
    assert service.parent is not None
    assert service.parent.span_id == gateway.context.span_id
    assert service.parent.is_remote  # crossed HTTP as traceparent
    assert publish.parent is not None
    assert publish.parent.span_id == service.context.span_id
    for consumer in consumed:
        assert consumer.parent is not None
        assert consumer.parent.span_id == publish.context.span_id
        assert consumer.parent.is_remote  # crossed RabbitMQ in the message headers
    assert {s.context.trace_id for s in (gateway, service, publish, *consumed)} == {trace_id}
    assert service.attributes is not None
    assert service.attributes["http.route"] == "/appointments"
    assert service.attributes["http.response.status_code"] == 201
    # Spans name routes by template and never carry the raw path, which can hold ids and tokens.
    assert all(str(slot) not in str(dict(s.attributes or {})) for s in finished)


def test_tracing_off_leaves_stored_events_and_messages_untouched() -> None:
    disable_tracing()
    assert not tracing_enabled()
    envelope = '{"id":"1","type":"AppointmentBooked"}'
    assert with_trace_context(envelope) is envelope
    with publish_span(BOOKED, envelope) as headers:
        assert headers is None


async def test_the_console_exporter_prints_one_json_line_per_span(capsys: pytest.CaptureFixture[str]) -> None:
    provider = configure_tracing("gateway", "console")
    assert provider is not None
    try:

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            scope["route"] = APIRoute("/appointments/{appointment_id}", lambda: None)
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(_: dict[str, Any]) -> None:
            return None

        appointment = str(uuid.uuid4())
        scope = {"type": "http", "method": "DELETE", "path": f"/appointments/{appointment}", "headers": []}
        await TracingMiddleware(app)(scope, receive, send)
        assert provider.force_flush()
    finally:
        disable_tracing()
        provider.shutdown()
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    span = json.loads(line)
    assert span["name"] == "DELETE /appointments/{appointment_id}"
    assert span["kind"] == "SpanKind.SERVER"
    assert span["resource"]["attributes"]["service.name"] == "gateway"
    assert appointment not in line


def test_the_otlp_exporter_is_built_from_settings() -> None:
    settings = AppointmentsSettings(tracing_exporter="otlp", tracing_otlp_endpoint="http://collector:4318/v1/traces")
    provider = configure_tracing(settings.service_name, settings.tracing_exporter, settings.tracing_otlp_endpoint)
    try:
        assert provider is not None
        assert tracing_enabled()
    finally:
        disable_tracing()
        if provider is not None:
            provider.shutdown()
    assert configure_tracing("appointments", AppointmentsSettings().tracing_exporter) is None  # off by default
    assert not tracing_enabled()
