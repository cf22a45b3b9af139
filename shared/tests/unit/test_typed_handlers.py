"""Handlers are registered from their `event` annotation: no map kept by hand, no isinstance asserts."""

import pytest

from shared.consumer import handled_event, route_handlers
from shared.messages import EventEnvelope
from shared.tests.integration.conftest import Ping
from shared.unit_of_work import UnitOfWork


async def on_ping(uow: UnitOfWork, event: Ping) -> None:
    seen.append(event.n)


async def on_ping_with_envelope(uow: UnitOfWork, event: Ping, envelope: EventEnvelope) -> None:
    seen.append(envelope.correlation_id)


seen: list[object] = []


async def on_pings(uow: UnitOfWork, events: list[Ping], envelopes: list[EventEnvelope]) -> None:
    seen.append([(event.n, envelope.correlation_id) for event, envelope in zip(events, envelopes, strict=True)])


def test_the_event_a_handler_takes_is_read_from_its_annotation():
    assert handled_event(on_ping) == (Ping, False)
    assert handled_event(on_pings) == (Ping, True)


def test_a_handler_without_an_event_annotation_is_refused_at_registration():
    async def on_something(uow, event) -> None:  # type: ignore[no-untyped-def]
        pass

    with pytest.raises(TypeError, match="annotate"):
        route_handlers([on_something])


def test_two_handlers_for_one_event_are_refused_at_registration():
    with pytest.raises(TypeError, match="two handlers for Ping"):
        route_handlers([on_ping, on_ping_with_envelope])


async def test_the_envelope_is_passed_only_to_handlers_that_ask_for_it():
    seen.clear()
    envelope = Ping(n=3).to_envelope(correlation_id="c-9")
    for handler in (on_ping, on_ping_with_envelope, on_pings):
        route = route_handlers([handler])[Ping.routing_key()]
        await route.handler(None, [route.contract.model_validate(envelope.payload)], [envelope])  # type: ignore[arg-type]
    assert seen == [3, "c-9", [(3, "c-9")]]
