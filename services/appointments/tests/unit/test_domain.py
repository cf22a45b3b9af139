from datetime import UTC, datetime, timedelta

import pytest

from services.appointments import domain
from shared.errors import DomainError

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_unknown_slot_is_a_422_on_slot_id():
    error = domain.refusal_for(None, NOW)
    assert (error.status, error.code, error.field) == (422, "unknown_slot", "slot_id")


def test_past_slot_is_refused_even_with_free_seats():
    error = domain.refusal_for(domain.SlotState(NOW - timedelta(minutes=1), capacity=5, booked=0), NOW)
    assert (error.status, error.code) == (422, "slot_in_past")


def test_slot_starting_right_now_counts_as_past():
    assert domain.refusal_for(domain.SlotState(NOW, 5, 0), NOW).code == "slot_in_past"


def test_full_slot_is_a_409_conflict():
    error = domain.refusal_for(domain.SlotState(NOW + timedelta(days=1), capacity=2, booked=2), NOW)
    assert (error.status, error.code) == (409, "slot_full")
    assert "complet" in error.fr
    assert "full" in error.en


def test_contact_is_required_but_either_channel_is_enough():
    domain.require_contact("a@example.org", None)
    domain.require_contact(None, "+15145550123")
    with pytest.raises(DomainError) as refused:
        domain.require_contact(None, None)
    assert refused.value.field == "email"


def test_manage_token_is_random_and_only_its_hash_is_kept():
    token, stored = domain.new_manage_token()
    other, _ = domain.new_manage_token()
    assert token != other
    assert token not in stored
    assert domain.token_matches(token, stored)
    assert not domain.token_matches(other, stored)


def test_only_booked_appointments_can_be_cancelled():
    assert {domain.BOOKED} == domain.CANCELLABLE
    assert domain.cannot_cancel(domain.ARRIVED).status == 409
