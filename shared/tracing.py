"""OpenTelemetry traces: gateway -> service -> outbox -> RabbitMQ -> consumer, in one trace.

Off by default (`tracing_exporter = "none"`): no provider is built and every function here
returns after one `is None` test, so an untraced process pays nothing per request or event.

The W3C trace context crosses each hop as headers: `traceparent` on HTTP (forwarded by the
gateway's proxy) and in the AMQP message headers. The outbox needs one more step, since the
relay publishes later, from another task: the context is written into the stored envelope
(as CloudEvents' distributed-tracing extension does, an attribute consumers ignore) and the
relay moves it into the message headers of a PRODUCER span.
"""

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Literal

import orjson
from aio_pika.abc import AbstractIncomingMessage
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.logging import _CurrentStdout
from shared.metrics import RouteLabel, route_template

TracingExporter = Literal["none", "console", "otlp"]

_propagator = TraceContextTextMapPropagator()
_TRACE_FIELDS = ("traceparent", "tracestate")
_tracer: Tracer | None = None  # None: tracing is off


def configure_tracing(service_name: str, exporter: TracingExporter, otlp_endpoint: str = "") -> TracerProvider | None:
    """Called once per process at start-up; "none" leaves tracing off."""
    if exporter == "none":
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(_exporter(exporter, otlp_endpoint)))
    enable_tracing(provider)
    return provider


def _exporter(kind: TracingExporter, otlp_endpoint: str) -> SpanExporter:
    if kind == "otlp":
        # Imported here: only a process that exports over OTLP loads protobuf and requests.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=otlp_endpoint or None)
    # One JSON line per span on the stdout the logs use (which follows sys.stdout being swapped).
    return ConsoleSpanExporter(out=_CurrentStdout(), formatter=lambda span: span.to_json(indent=None) + "\n")  # type: ignore[arg-type]


def enable_tracing(provider: TracerProvider) -> None:
    """Trace with this provider (tests pass one with an in-memory exporter)."""
    global _tracer
    _tracer = provider.get_tracer("clinic")


def disable_tracing() -> None:
    global _tracer
    _tracer = None


def tracing_enabled() -> bool:
    return _tracer is not None


# An exception's message can hold a failed statement's values (PostgreSQL's DETAIL: "Key (email)=(...) already
# exists"; shared/logging.py): OpenTelemetry would record it as an event (record_exception) and as the span's
# status description, f"{type}: {message}" (set_status_on_exception). Neither: _failed names the type alone.
_NO_EXCEPTION_TEXT: dict[str, Any] = {"record_exception": False, "set_status_on_exception": False}


def _failed(span: Span, exc: Exception) -> None:
    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))


class TracingMiddleware:
    """Pure ASGI middleware: one SERVER span per request, child of the caller's `traceparent`.

    Spans are named by method and route template; the raw path and query are left out, as they
    can carry ids and a cancel token.
    """

    def __init__(self, app: Any, route_label: RouteLabel = route_template) -> None:
        self.app = app
        self._route_label = route_label

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        tracer = _tracer
        if tracer is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in (b"traceparent", b"tracestate")
        }
        method = scope["method"]
        with tracer.start_as_current_span(
            method, context=_propagator.extract(carrier), kind=SpanKind.SERVER, **_NO_EXCEPTION_TEXT
        ) as span:
            status, failed = 500, False

            async def send_with_status(message: dict[str, Any]) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self.app(scope, receive, send_with_status)
            except Exception as exc:
                failed = True
                _failed(span, exc)
                raise
            finally:
                route = self._route_label(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.request.method", method)
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500 and not failed:
                    span.set_status(StatusCode.ERROR)


def inject_trace_headers(headers: dict[str, str]) -> None:
    """Adds the current span's `traceparent` to outgoing HTTP headers (the gateway's proxy)."""
    if _tracer is not None:
        _propagator.inject(headers)


def with_trace_context(envelope_json: str) -> str:
    """The stored envelope, carrying the current trace context when tracing is on."""
    if _tracer is None:
        return envelope_json
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    if not carrier:
        return envelope_json
    return orjson.dumps({**orjson.loads(envelope_json), **carrier}).decode()


@contextlib.contextmanager
def publish_span(routing_key: str, envelope_json: str) -> Iterator[dict[str, str] | None]:
    """A PRODUCER span for one outbox event, child of the request that wrote it; yields the
    AMQP headers that carry it (None when tracing is off)."""
    tracer = _tracer
    if tracer is None:
        yield None
        return
    stored = orjson.loads(envelope_json)
    parent = _propagator.extract({k: stored[k] for k in _TRACE_FIELDS if isinstance(stored.get(k), str)})
    with tracer.start_as_current_span(
        f"publish {routing_key}", context=parent, kind=SpanKind.PRODUCER, **_NO_EXCEPTION_TEXT
    ) as span:
        span.set_attribute("messaging.system", "rabbitmq")
        span.set_attribute("messaging.destination.name", routing_key)
        headers: dict[str, str] = {}
        _propagator.inject(headers)
        try:
            yield headers
        except Exception as exc:
            _failed(span, exc)
            raise


@contextlib.contextmanager
def consume_span(routing_key: str, headers: Mapping[str, Any] | None) -> Iterator[None]:
    """A CONSUMER span around handling one message, child of the publisher's span."""
    tracer = _tracer
    if tracer is None:
        yield
        return
    carrier = {}
    for name in _TRACE_FIELDS:
        value = (headers or {}).get(name)
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str):
            carrier[name] = value
    with tracer.start_as_current_span(
        f"process {routing_key}", context=_propagator.extract(carrier), kind=SpanKind.CONSUMER, **_NO_EXCEPTION_TEXT
    ) as span:
        span.set_attribute("messaging.system", "rabbitmq")
        span.set_attribute("messaging.destination.name", routing_key)
        try:
            yield
        except Exception as exc:
            _failed(span, exc)
            raise


def traced_consumer(
    callback: Callable[[AbstractIncomingMessage], Awaitable[None]],
) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
    """Wraps a bus consumer so each message is handled inside a CONSUMER span (when tracing is on)."""

    async def traced(message: AbstractIncomingMessage) -> None:
        if _tracer is None:
            await callback(message)
            return
        with consume_span(message.routing_key or "", message.headers):
            await callback(message)

    return traced
