import uuid
from typing import ClassVar

import pytest
from pydantic import ValidationError

from shared.messages import Contract, EventEnvelope, routing_key, snake_case


class AccountsLinked(Contract):
    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "AccountsLinked"
    version: ClassVar[int] = 2

    account_ids: list[uuid.UUID]


def test_routing_key_is_producer_event_snake_and_version():
    assert snake_case("AppointmentBooked") == "appointment_booked"
    assert routing_key("appointments", "NoShowRecorded", 1) == "appointments.no_show_recorded.v1"
    assert AccountsLinked.routing_key() == "accounts.accounts_linked.v2"


def test_envelope_round_trips_through_json_and_back_to_the_contract():
    ids = [uuid.uuid4(), uuid.uuid4()]
    cause = uuid.uuid4()
    envelope = AccountsLinked(account_ids=ids).to_envelope(correlation_id="c-9", causation_id=cause)
    again = EventEnvelope.model_validate_json(envelope.model_dump_json())
    assert again == envelope
    assert (again.type, again.version, again.producer, again.causation_id) == ("AccountsLinked", 2, "accounts", cause)
    assert again.occurred_at.tzinfo is not None
    assert AccountsLinked.from_envelope(again).account_ids == ids


def test_payload_not_matching_the_contract_is_rejected():
    envelope = EventEnvelope(type="AccountsLinked", version=2, producer="accounts", payload={"account_ids": "x"})
    with pytest.raises(ValidationError):
        AccountsLinked.from_envelope(envelope)
