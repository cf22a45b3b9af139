"""A failed request's or event's span names the exception's type, never its message: a database error's message
can quote a row's values (PostgreSQL's 'invalid input syntax for type uuid: "<the stored e-mail>"', or a unique
violation's DETAIL "Key (email)=(...) already exists"), which OpenTelemetry would otherwise copy into the span's
status description, exported to the tracing backend."""

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from devstack.testing.apps import app_without_lifespan
from shared.db import make_engine
from shared.tracing import consume_span, disable_tracing, enable_tracing, publish_span

EMAIL = "lea.tremblay@example.org"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    enable_tracing(provider)
    yield exporter
    disable_tracing()


def _reading_a_row_wrongly(pg_url: str, raised: list[str]) -> APIRouter:
    router = APIRouter()

    @router.post("/accounts")
    async def register() -> None:
        engine = make_engine(pg_url.replace("postgresql://", "postgresql+asyncpg://", 1))
        try:
            async with engine.begin() as connection:
                await connection.execute(text("CREATE TEMPORARY TABLE accounts (email text)"))
                await connection.execute(text("INSERT INTO accounts VALUES (:email)"), {"email": EMAIL})
                await connection.execute(text("SELECT email::uuid FROM accounts"))
        except DBAPIError as exc:
            raised.append(str(exc))
            raise
        finally:
            await engine.dispose()

    return router


def _assert_named_not_told(span: ReadableSpan, exception_type: str) -> None:
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == exception_type
    assert span.events == ()
    exported = span.to_json()
    assert EMAIL not in exported
    assert "invalid input syntax" not in exported
    assert "already exists" not in exported


async def test_a_failing_request_span_carries_the_type_of_its_exception_not_its_message(pg_admin_url, spans):
    raised: list[str] = []
    app = app_without_lifespan("Test", [_reading_a_row_wrongly(pg_admin_url, raised)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        answer = await client.post("/accounts")
    assert answer.status_code == 500
    (message,) = raised
    assert f'invalid input syntax for type uuid: "{EMAIL}"' in message  # what the span must leave out
    assert EMAIL not in answer.text
    (server,) = [span for span in spans.get_finished_spans() if span.kind is SpanKind.SERVER]
    assert server.name == "POST /accounts"
    _assert_named_not_told(server, "DBAPIError")


async def test_a_failing_event_handler_span_carries_the_type_not_the_message(spans):
    secret = f"Key (email)=({EMAIL}) already exists"
    with pytest.raises(ValueError, match="already exists"), consume_span("accounts.account_registered.v1", {}):
        raise ValueError(secret)
    with pytest.raises(ValueError, match="already exists"), publish_span("accounts.x.v1", json.dumps({"id": "1"})):
        raise ValueError(secret)
    consumer, producer = spans.get_finished_spans()
    assert (consumer.kind, producer.kind) == (SpanKind.CONSUMER, SpanKind.PRODUCER)
    for span in (consumer, producer):
        _assert_named_not_told(span, "ValueError")
