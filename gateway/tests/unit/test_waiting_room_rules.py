"""The waiting room's pure rules (gateway/waiting_room/rules.py) and which requests it guards (gate.py)."""

import pytest

from gateway.waiting_room.gate import guarded
from gateway.waiting_room.rules import (
    MAX_STEP_SECONDS,
    Budget,
    Load,
    RateBounds,
    RoomState,
    Ticket,
    Verdict,
    admission_mintable,
    admission_valid,
    admissions_due,
    advanced_counter,
    counter_speed,
    decide,
    estimated_wait_seconds,
    next_admit_rate,
    position,
    read_admission,
    read_ticket,
    retry_after_for,
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
    assert estimated_wait_seconds(3, admit_per_second=0) >= 3  # never a division by zero


def test_retry_after_is_the_estimate_bounded_by_the_refresh_period():
    assert retry_after_seconds(3, refresh_seconds=15) == 3
    assert retry_after_seconds(120, refresh_seconds=15) == 15
    assert retry_after_seconds(0, refresh_seconds=15) == 1


def test_a_queued_visitor_checks_again_a_little_before_their_estimated_turn():
    """The rate may rise meanwhile (a visitor late to their turn is load that comes later), but each check is a
    request: not at half the wait, as before, which made about log2(wait) checks per visitor."""
    assert estimated_wait_seconds(1000, admit_per_second=50) == 20
    assert retry_after_for(1000, admit_per_second=50, refresh_seconds=60) == 19
    assert retry_after_for(50, admit_per_second=100, refresh_seconds=15) == 1
    assert retry_after_for(100_000, admit_per_second=100, refresh_seconds=15) == 15


def test_a_step_advances_the_counter_never_past_the_last_ticket_nor_backwards():
    assert advanced_counter(10, 1000, step=25) == 35
    assert advanced_counter(10, 20, step=500) == 20  # what the queue does not need is lost
    assert advanced_counter(10, 1000, step=0) == 10
    assert advanced_counter(30, 20, step=5) == 30  # never backwards (the operator's close moved it past)


def test_the_budget():
    budget = Budget(max_in_flight=64, latency_budget_seconds=0.5)
    assert not budget.exceeded_by(Load(63, 0.4))
    assert budget.exceeded_by(Load(64, 0.1))
    assert budget.exceeded_by(Load(1, 0.6))
    assert budget.comfortably_within(Load(31, 0.25))
    assert not budget.comfortably_within(Load(32, 0.1))
    assert not budget.comfortably_within(Load(1, 0.3))


BUDGET = Budget(max_in_flight=64, latency_budget_seconds=0.5)
BOUNDS = RateBounds(floor=5, ceiling=2000)
IDLE = Load(0, 0.0)
BUSY = Load(40, 0.3)  # between half the budget and the budget
OVER = Load(64, 0.1)


def _run(rate: float, load: Load, seconds: float, *, someone_waits: bool = True, every: float = 0.2) -> float:
    for _ in range(round(seconds / every)):
        rate = next_admit_rate(rate, load, BUDGET, BOUNDS, someone_waits=someone_waits, elapsed_seconds=every)
    return rate


def test_the_rate_rises_while_the_replica_has_room_to_spare_and_someone_waits():
    assert _run(100, IDLE, 1) == pytest.approx(110)
    assert _run(100, IDLE, 2) == pytest.approx(121)
    # The same a second whatever the refresh period.
    assert _run(100, IDLE, 2, every=0.05) == pytest.approx(121)
    # From the start's 200 to a thousand a second within 17 s; from the floor, within a minute.
    assert _run(200, IDLE, 17) > 1000
    assert _run(5, IDLE, 56) > 1000


def test_the_rate_falls_while_the_replica_is_over_its_budget():
    assert _run(1000, OVER, 1) == pytest.approx(800)
    assert _run(1000, Load(1, 0.6), 2) == pytest.approx(640)  # the latency average over it
    assert _run(1000, OVER, 1, someone_waits=False) == pytest.approx(800)  # measured capacity all the same
    assert _run(1000, OVER, 10) == pytest.approx(1000 * 0.8**10)


def test_the_rate_holds_between_half_its_budget_and_its_budget_or_when_nobody_waits():
    assert _run(700, BUSY, 10) == pytest.approx(700)
    # Nobody waits: the rate is not what limits anything, so there is nothing to learn from the load.
    assert _run(700, IDLE, 10, someone_waits=False) == pytest.approx(700)


def test_the_rate_stays_within_its_bounds():
    assert _run(1900, IDLE, 60) == 2000
    assert _run(6, OVER, 60) == 5  # the queue keeps moving however loaded the replica
    assert next_admit_rate(1, IDLE, BUDGET, BOUNDS, someone_waits=False, elapsed_seconds=0) == 5
    assert next_admit_rate(9000, BUSY, BUDGET, BOUNDS, someone_waits=True, elapsed_seconds=0) == 2000


def test_one_refresh_accounts_for_at_most_a_second_of_change():
    """After a stalled loop or a failed read, neither a leap of the rate nor a burst of admissions."""
    assert next_admit_rate(100, IDLE, BUDGET, BOUNDS, someone_waits=True, elapsed_seconds=30) == pytest.approx(
        100 * 1.1**MAX_STEP_SECONDS
    )
    assert next_admit_rate(100, OVER, BUDGET, BOUNDS, someone_waits=True, elapsed_seconds=-1) == 100
    assert admissions_due(0.0, rate=100, elapsed_seconds=30) == (100, 0.0)


def test_admissions_due_carry_the_fraction_so_a_slow_rate_still_admits():
    assert admissions_due(0.0, rate=100, elapsed_seconds=0.25) == (25, 0.0)
    due, carry = admissions_due(0.0, rate=2, elapsed_seconds=0.2)
    assert (due, carry) == (0, pytest.approx(0.4))
    admitted = 0
    carry = 0.0
    for _ in range(25):  # 5 s at 2 a second
        due, carry = admissions_due(carry, rate=2, elapsed_seconds=0.2)
        admitted += due
    assert admitted in (9, 10)  # floating point may leave the tenth a hair short
    assert admissions_due(0.5, rate=100, elapsed_seconds=0) == (0, 0.5)


def test_the_counter_speed_is_averaged_over_reads():
    assert counter_speed(0.0, admitted=100, elapsed_seconds=0.2, weight=0.5) == 250
    assert counter_speed(500.0, admitted=100, elapsed_seconds=0.2, weight=0.5) == 500
    assert counter_speed(500.0, admitted=100, elapsed_seconds=0, weight=0.5) == 500
    assert counter_speed(500.0, admitted=-3, elapsed_seconds=1, weight=1) == 0


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
