"""After a chain's wrong tries are spent: when a new code may be asked for, and how the refusal says it."""

import uuid
from datetime import UTC, datetime, timedelta

from services.verification.codes import rules as domain
from services.verification.tests.http_edge import worded_now

# 15:00 UTC is 10:00 in Montréal in November (EST).
NOW = datetime(2026, 11, 23, 15, 0, 20, tzinfo=UTC)
COOLDOWN = timedelta(minutes=15)


def spent(locked_at: datetime | None) -> domain.ChallengeState:
    return domain.ChallengeState(
        account_id=uuid.uuid4(),
        purpose="reset_password",
        status=domain.ISSUED,
        expires_at=NOW + timedelta(minutes=5),
        wrong_attempts=5,
        locked_at=locked_at,
    )


def test_a_spent_chain_says_from_when_a_new_code_can_be_asked_for_in_montreal_time():
    refused = domain.refusal_for(spent(NOW), "reset_password", None, NOW, 5, COOLDOWN)
    assert isinstance(refused, domain.TooManyAttempts)
    error = worded_now(refused)
    assert (error.status, error.code, error.field) == (429, "too_many_attempts", "code")
    # 10:15:20 is said 10 h 16: whoever comes back at the minute said is never early.
    assert "à partir de 10\u00a0h\u00a016 (dans 16\u00a0min)" in error.fr
    assert "from 10:16\u00a0a.m. (in 16\u00a0min)" in error.en
    assert error.headers == {"Retry-After": str(15 * 60)}


def test_once_the_cooldown_is_over_the_refusal_says_to_ask_for_a_new_code_now():
    refused = domain.refusal_for(spent(NOW - COOLDOWN), "reset_password", None, NOW, 5, COOLDOWN)
    error = worded_now(refused)
    assert (error.status, error.code) == (429, "too_many_attempts")
    assert "Envoyer un nouveau code" in error.fr
    assert "Send a new code" in error.en
    # A chain locked before locked_at was recorded waits for nothing more.
    assert domain.new_code_from(None, COOLDOWN, NOW) == NOW
    assert domain.new_code_from(NOW, COOLDOWN, NOW) == NOW + COOLDOWN


def test_the_wrong_code_that_spends_the_last_try_says_when_at_once():
    error = worded_now(domain.wrong_code(0, NOW + COOLDOWN, NOW))
    assert (error.status, error.code, error.field) == (422, "wrong_code", "code")
    assert error.en.startswith("Wrong code. No tries left: for your security, this code is locked.")
    assert "à partir de 10\u00a0h\u00a016 (dans 16\u00a0min)" in error.fr
    assert error.headers is None  # a wrong code is not a wait: no Retry-After
    assert worded_now(domain.wrong_code(0)).en == "Wrong code. No tries left."


def test_tries_left_still_let_the_code_decide():
    state = spent(None)
    live = domain.ChallengeState(**{**vars(state), "wrong_attempts": 4})
    assert domain.refusal_for(live, "reset_password", None, NOW, 5, COOLDOWN) is None
