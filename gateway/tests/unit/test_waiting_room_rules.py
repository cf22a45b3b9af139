"""The waiting room's pure rules (gateway/waiting_room/rules.py) and which requests it guards (gate.py)."""

import pytest

from gateway.waiting_room.gate import guarded
from gateway.waiting_room.rules import (
    Budget,
    Load,
    RoomState,
    Ticket,
    Verdict,
    admission_mintable,
    admission_valid,
    advanced_counter,
    decide,
    estimated_wait_seconds,
    position,
    read_admission,
    read_ticket,
    retry_after_seconds,
    sign_admission,
    sign_ticket,
    within_request_cap,
    without_store,
)

KEY = b"k" * 32
NOW = 1_800_000_000
HOUR = 3600


def test_a_signed_ticket_reads_back_as_issued():
    token = sign_ticket(KEY, Ticket(42, NOW))
    assert read_ticket(KEY, token, NOW + 10, HOUR) == Ticket(42, NOW)


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t.replace("42.", "1.", 1),  # an earlier place, keeping the signature
        lambda t: "1." + t.split(".", 1)[1],
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # another signature
        lambda t: t.rsplit(".", 1)[0],  # none
        lambda t: "",
        lambda t: "1.2.3",
        lambda t: "-1." + t.split(".", 1)[1],
        lambda t: "٤٢." + t.split(".", 1)[1],  # non-ASCII digits
        lambda t: t + "x" * 200,
    ],
)
def test_a_forged_or_altered_ticket_is_no_ticket(forge):
    token = sign_ticket(KEY, Ticket(42, NOW))
    assert read_ticket(KEY, forge(token), NOW, HOUR) is None


def test_a_ticket_signed_with_another_key_is_no_ticket():
    assert read_ticket(KEY, sign_ticket(b"other" * 8, Ticket(42, NOW)), NOW, HOUR) is None


def test_a_ticket_past_its_lifetime_or_from_the_future_is_no_ticket():
    token = sign_ticket(KEY, Ticket(42, NOW))
    assert read_ticket(KEY, token, NOW + HOUR, HOUR) == Ticket(42, NOW)
    assert read_ticket(KEY, token, NOW + HOUR + 1, HOUR) is None
    assert read_ticket(KEY, token, NOW - 60, HOUR) is None


def test_a_ticket_is_not_an_admission_nor_the_reverse():
    ticket = sign_ticket(KEY, Ticket(42, NOW + 900))
    assert not admission_valid(KEY, ticket, NOW)
    admission = sign_admission(KEY, 42, NOW + 900)
    assert read_ticket(KEY, admission, NOW, HOUR) is None
    assert admission_valid(KEY, admission, NOW)


def test_an_admission_reads_back_its_ticket_and_expiry_and_lets_through_so_many_requests():
    assert read_admission(KEY, sign_admission(KEY, 7, NOW + 900), NOW) == (7, NOW + 900)
    assert read_admission(KEY, sign_admission(KEY, 7, NOW + 900), NOW + 900) is None
    assert within_request_cap(300, cap=300)
    assert not within_request_cap(301, cap=300)


def test_an_admission_expires():
    admission = sign_admission(KEY, 7, NOW + 900)
    assert admission_valid(KEY, admission, NOW + 899)
    assert not admission_valid(KEY, admission, NOW + 900)
    assert not admission_valid(b"x" * 32, admission, NOW)


QUIET = RoomState(opened_by_operator=False, admitted_up_to=10, last_ticket=10)


def test_a_new_visitor_passes_when_the_room_is_closed_empty_and_within_budget():
    assert decide(QUIET, overloaded=False, ticket=None) is Verdict.THROUGH


def test_a_new_visitor_draws_a_ticket_when_opened_overloaded_or_others_wait():
    assert decide(RoomState(True, 10, 10), overloaded=False, ticket=None) is Verdict.DRAW
    assert decide(QUIET, overloaded=True, ticket=None) is Verdict.DRAW
    # Within budget again, but three still wait: passing now would overtake them.
    assert decide(RoomState(False, 10, 13), overloaded=False, ticket=None) is Verdict.DRAW


def test_a_ticket_is_admitted_when_the_counter_reaches_it_in_order():
    state = RoomState(True, admitted_up_to=11, last_ticket=20)
    verdicts = {n: decide(state, overloaded=True, ticket=Ticket(n, NOW)) for n in (10, 11, 12, 20)}
    assert verdicts == {10: Verdict.ADMIT, 11: Verdict.ADMIT, 12: Verdict.WAIT, 20: Verdict.WAIT}


def test_with_the_state_stale_nobody_queues_and_an_overloaded_replica_refuses():
    waiting = RoomState(True, admitted_up_to=11, last_ticket=20)
    for ticket in (None, Ticket(12, NOW), Ticket(5, NOW)):
        assert decide(waiting, overloaded=False, ticket=ticket, stale=True) is Verdict.THROUGH
        assert decide(waiting, overloaded=True, ticket=ticket, stale=True) is Verdict.REFUSE
    assert without_store(overloaded=False) is Verdict.THROUGH
    assert without_store(overloaded=True) is Verdict.REFUSE


def test_a_ticket_mints_its_admission_once_and_again_only_within_the_grace():
    assert admission_mintable(0.01, grace_seconds=120)  # the first time: just recorded
    assert admission_mintable(None, grace_seconds=120)  # recorded at this very moment by another request
    assert admission_mintable(120, grace_seconds=120)  # an answer lost on the way
    assert not admission_mintable(120.5, grace_seconds=120)
    assert not admission_mintable(3000, grace_seconds=120)


def test_position_and_estimated_wait():
    state = RoomState(True, admitted_up_to=100, last_ticket=500)
    assert position(Ticket(101, NOW), state) == 1
    assert position(Ticket(350, NOW), state) == 250
    assert estimated_wait_seconds(250, admit_per_second=100) == 3
    assert estimated_wait_seconds(1, admit_per_second=100) == 1
    assert estimated_wait_seconds(6000, admit_per_second=50) == 120


def test_retry_after_is_the_estimate_bounded_by_the_refresh_period():
    assert retry_after_seconds(3, refresh_seconds=15) == 3
    assert retry_after_seconds(120, refresh_seconds=15) == 15
    assert retry_after_seconds(0, refresh_seconds=15) == 1


def test_the_counter_advances_at_the_rate_never_past_the_last_ticket():
    assert advanced_counter(10, 1000, elapsed_seconds=0.25, admit_per_second=100) == 35
    assert advanced_counter(10, 20, elapsed_seconds=5, admit_per_second=100) == 20
    assert advanced_counter(10, 1000, elapsed_seconds=0.001, admit_per_second=100) == 10
    assert advanced_counter(30, 20, elapsed_seconds=1, admit_per_second=100) == 30  # never backwards


def test_the_budget():
    budget = Budget(max_in_flight=64, latency_budget_seconds=0.5)
    assert not budget.exceeded_by(Load(63, 0.4))
    assert budget.exceeded_by(Load(64, 0.1))
    assert budget.exceeded_by(Load(1, 0.6))


@pytest.mark.parametrize(
    ("method", "path", "query", "kind"),
    [
        ("POST", "/api/appointments", b"", "api"),
        ("POST", "/api/my/appointments", b"", "api"),
        ("GET", "/api/slots", b"service_id=x", "api"),
        ("GET", "/api/search", b"postal_code=H2X", "api"),
        ("GET", "/api/search/nearby", b"", "api"),
        ("GET", "/?postal_code=H2X", b"", None),  # the path never holds the query
        ("GET", "/", b"postal_code=H2X1Y4&service=x", "page"),
        # The page reads the key decoded: an encoded one is the same search.
        ("GET", "/", b"postal%5Fcode=H2X1Y4", "page"),
        ("GET", "/", b"service=x&%70ostal_code=H2X1Y4", "page"),
        ("GET", "/book/0b6a", b"", "page"),
        ("POST", "/book", b"", "page"),
        ("GET", "/account/appointments/0b6a/reschedule", b"", "page"),
        ("POST", "/account/appointments/0b6a/reschedule", b"", "page"),
        # Every other way to move a booking claims a seat too: the API's (own, or by link) and the manage link's page.
        ("POST", "/api/my/appointments/0b6a/reschedule", b"", "api"),
        ("POST", "/api/appointments/0b6a/reschedule", b"", "api"),
        ("GET", "/appointments/0b6a/reschedule", b"token=t", "page"),
        ("HEAD", "/appointments/0b6a/reschedule", b"token=t", "page"),
        ("POST", "/appointments/0b6a/reschedule", b"", "page"),
        ("POST", "/api/my/appointments/0b6a/cancel", b"", None),
        ("POST", "/appointments/0b6a/cancel", b"", None),
        ("GET", "/appointments/0b6a/calendar.ics", b"", None),
        ("POST", "/api/appointments/reschedule", b"", None),  # no appointment: routes nowhere
        # Never queued: the rest of booking's management, sign-in, accounts, console, health.
        ("GET", "/", b"", None),
        ("GET", "/api/my/appointments", b"", None),
        ("DELETE", "/api/my/appointments/0b6a", b"", None),
        ("GET", "/api/appointments/0b6a", b"", None),
        ("POST", "/api/sessions", b"", None),
        ("POST", "/account/login", b"", None),
        ("GET", "/account/appointments", b"", None),
        ("GET", "/admin/operator", b"", None),
        ("GET", "/healthz", b"", None),
        ("GET", "/api/slotsx", b"", None),
    ],
)
def test_which_requests_are_guarded(method, path, query, kind):
    assert guarded(method, path, query) == kind
