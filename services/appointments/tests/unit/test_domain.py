import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.appointments.booking import rules
from services.appointments.tests.worded import AsTheEdgeWordsIt
from shared import contact
from shared.errors import ApiError

domain = AsTheEdgeWordsIt(rules, cannot_cancel=rules.NotCancellable)
require_contact = AsTheEdgeWordsIt(contact).require_contact
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
    require_contact("a@example.org", None)
    require_contact(None, "+15145550123")
    with pytest.raises(ApiError) as refused:
        require_contact(None, None)
    assert refused.value.field == "email"


def test_manage_token_is_derived_per_appointment_and_secret():
    secret, other_secret = b"k" * 32, b"j" * 32
    first, second = uuid.uuid4(), uuid.uuid4()
    token = domain.manage_token(secret, first)
    assert token == domain.manage_token(secret, first)  # an idempotent replay shows the same link
    assert token != domain.manage_token(secret, second)
    assert token != domain.manage_token(other_secret, first)
    assert domain.token_matches(secret, first, token)
    assert not domain.token_matches(secret, second, token)


def test_person_key_prefers_the_account_person_then_email_then_phone():
    person = uuid.uuid4()
    assert domain.person_key(person, "A@x.org", "+15145550000") == f"person:{person}"
    assert domain.person_key(None, "A@X.org", "+15145550000") == "email:a@x.org"
    assert domain.person_key(None, None, "+15145550000") == "phone:+15145550000"


def test_fingerprint_depends_on_every_field_but_not_their_order():
    assert domain.request_fingerprint({"a": 1, "b": "x"}) == domain.request_fingerprint({"b": "x", "a": 1})
    assert domain.request_fingerprint({"a": 1}) != domain.request_fingerprint({"a": 2})


def test_only_booked_appointments_can_be_cancelled():
    assert {domain.BOOKED} == domain.CANCELLABLE
    assert domain.cannot_cancel(domain.ARRIVED).status == 409


def test_slot_details_cache_expires_and_stays_bounded(monkeypatch):
    import uuid

    from services.appointments.booking import queries as booking_statement

    now = [100.0]
    monkeypatch.setattr(booking_statement.time, "monotonic", lambda: now[0])
    cache = booking_statement.SlotDetailsCache(ttl_seconds=2.0, max_entries=2)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    details = object()
    cache.put(a, details)  # type: ignore[arg-type]
    assert cache.get(a) is details
    now[0] += 2.5
    assert cache.get(a) is None
    cache.put(b, details)  # type: ignore[arg-type]
    cache.put(c, details)  # type: ignore[arg-type]
    assert len(cache._entries) <= 2
    cache.forget(c)
    assert cache.get(c) is None


@pytest.mark.parametrize("sent", ["🙂" * 8, "\udcff", "é" * 32, "", "%00"])
def test_a_manage_token_that_is_not_ascii_is_simply_wrong(sent: str):
    # hmac.compare_digest raised TypeError on such a str: the link answered 500 instead of refusing.
    appointment_id = uuid.uuid4()
    assert not domain.token_matches(b"secret", appointment_id, sent)
    assert domain.token_matches(b"secret", appointment_id, domain.manage_token(b"secret", appointment_id))
