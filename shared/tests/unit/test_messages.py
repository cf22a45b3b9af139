import uuid
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from pydantic import ValidationError

from shared.contracts.appointments import AppointmentBooked
from shared.messages import Contract, EventEnvelope, routing_key, snake_case
from shared.outbox import outbox_row
from shared.tests.integration.conftest import Parcel


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


class Unsorted(Parcel):
    def routing_topic(self) -> str:
        return "medium"


def test_an_event_with_topics_is_published_with_its_topic_and_handled_by_its_contract_key():
    envelope = Parcel(grams=5000).to_envelope()
    assert envelope.routing_topic == "big"
    assert envelope.published_key == "test.parcel.v1.big"
    assert envelope.routing_key == "test.parcel.v1"  # what the consumer finds its handler by
    assert outbox_row(envelope)["routing_key"] == "test.parcel.v1.big"
    assert EventEnvelope.model_validate_json(envelope.model_dump_json()).published_key == "test.parcel.v1.big"
    plain = AccountsLinked(account_ids=[]).to_envelope()
    assert (plain.routing_topic, plain.published_key) == (None, "accounts.accounts_linked.v2")
    assert outbox_row(plain)["routing_key"] == "accounts.accounts_linked.v2"


def test_a_topic_outside_the_contracts_list_fails_loudly():
    with pytest.raises(ValueError, match="medium"):
        Unsorted(grams=1).to_envelope()


def test_binding_keys_hear_every_topic_or_the_chosen_ones_and_the_bare_key():
    assert Parcel.binding_keys() == ["test.parcel.v1", "test.parcel.v1.*"]
    assert Parcel.binding_keys(["small"]) == ["test.parcel.v1", "test.parcel.v1.small"]
    assert AccountsLinked.binding_keys() == ["accounts.accounts_linked.v2"]
    with pytest.raises(ValueError, match="no topics"):
        AccountsLinked.binding_keys(["big"])
    with pytest.raises(ValueError, match="huge"):
        Parcel.binding_keys(["huge"])
    with pytest.raises(ValueError, match="not none"):
        Parcel.binding_keys([])


@pytest.mark.parametrize(
    ("account_id", "source", "topic"),
    [
        (uuid.uuid4(), "web", "account"),
        (uuid.uuid4(), "admin", "account"),
        (None, "admin", "clerk"),
        (None, "web", "anonymous"),
    ],
)
def test_a_booking_is_routed_by_whether_an_account_or_a_clerk_made_it(account_id, source, topic):
    fields = {
        "appointment_id": uuid.uuid4(),
        "slot_id": uuid.uuid4(),
        "account_id": account_id,
        "starts_at": datetime(2027, 1, 5, 14, tzinfo=UTC),
        "ends_at": datetime(2027, 1, 5, 14, 15, tzinfo=UTC),
        "place": {
            "establishment_id": uuid.uuid4(),
            "name": "CLSC de Verdun",
            "address": "400, rue de l'Église",
            "city": "Montréal",
            "postal_code": "H4G 2M4",
            "timezone": "America/Montreal",
        },
        "service": {"service_id": uuid.uuid4(), "name_fr": "Prise de sang", "name_en": "Blood test"},
        "patient": {"first_name": "Léa", "last_name": "Roy", "email": "lea@example.org", "phone": None},
        "language": "fr",
        "manage_token": "t",
        "source": source,
    }
    assert (
        AppointmentBooked.model_validate(fields).to_envelope().published_key
        == f"appointments.appointment_booked.v1.{topic}"
    )
