import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import ValidationError

from services.verification.codes import rules as domain
from services.verification.codes.rules import Keys, destination_hmac, seal, unseal
from services.verification.codes.schemas import VerifyChallengeRequest
from services.verification.refusals import REFUSALS
from services.verification.tests.http_edge import worded_now
from shared.errors import ApiError
from shared.refusals import Wording, wording_of

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ACCOUNT = uuid.uuid4()
KEY = b"k" * 32


def state(**changes) -> domain.ChallengeState:
    values = {
        "account_id": ACCOUNT,
        "purpose": "change_email",
        "status": domain.ISSUED,
        "expires_at": NOW + timedelta(minutes=10),
        "wrong_attempts": 0,
    }
    return domain.ChallengeState(**(values | changes))


def refusal(challenge: domain.ChallengeState | None, purpose: str = "change_email", account_id=None) -> Wording | None:
    """How the refusal is worded (the same entry for the same reason), or None."""
    refused = domain.refusal_for(challenge, purpose, account_id, NOW, max_wrong_attempts=5)
    return None if refused is None else wording_of(REFUSALS, refused)


def wrong_code(attempts_remaining: int) -> ApiError:
    return worded_now(domain.wrong_code(attempts_remaining))


def test_codes_are_six_ascii_digits_including_leading_zeros():
    codes = [domain.new_code() for _ in range(2000)]
    assert all(len(code) == 6 and code.isascii() and code.isdigit() for code in codes)
    assert len(set(codes)) > 1900
    assert any(code.startswith("0") for code in codes)
    # Roughly uniform first digit: no bias towards short numbers.
    assert min(Counter(code[0] for code in codes).values()) > 100


def test_hash_is_keyed_and_salted_with_the_challenge():
    one, two = uuid.uuid4(), uuid.uuid4()
    stored = domain.hash_code(KEY, one, "123456")
    assert "123456" not in stored
    assert stored != domain.hash_code(KEY, two, "123456")
    assert stored != domain.hash_code(b"other key", one, "123456")
    assert domain.code_matches(KEY, one, "123456", stored)
    assert not domain.code_matches(KEY, one, "123457", stored)
    assert not domain.code_matches(KEY, two, "123456", stored)


def test_a_live_challenge_lets_the_code_decide():
    assert refusal(state()) is None
    assert refusal(state(wrong_attempts=4)) is None
    assert refusal(state(), account_id=ACCOUNT) is None


@pytest.mark.parametrize(
    ("challenge", "kwargs", "expected"),
    [
        (None, {}, (404, "challenge_not_found", "code")),
        (state(), {"account_id": uuid.uuid4()}, (404, "challenge_not_found", "code")),
        (state(), {"purpose": "reset_password"}, (422, "wrong_purpose", "purpose")),
        (state(status=domain.THROTTLED), {}, (429, "too_many_codes", "code")),
        (state(status=domain.SUPERSEDED), {}, (410, "code_superseded", "code")),
        (state(status=domain.PASSED), {}, (410, "code_used", "code")),
        (state(expires_at=NOW), {}, (410, "code_expired", "code")),
        (state(wrong_attempts=5), {}, (429, "too_many_attempts", "code")),
    ],
)
def test_refusals(challenge, kwargs, expected):
    error = refusal(challenge, **kwargs)
    assert (error.status, error.code, error.field) == expected
    assert error.fr
    assert error.en


def test_someone_elses_challenge_looks_exactly_like_a_missing_one():
    assert refusal(state(), account_id=uuid.uuid4()) is refusal(None)


def test_wrong_code_says_how_many_tries_are_left():
    error = wrong_code(4)
    assert (error.status, error.code, error.field) == (422, "wrong_code", "code")
    assert "4" in error.fr
    assert "4 tries" in error.en
    assert "1 try left" in wrong_code(1).en
    assert "aucun" in wrong_code(0).fr


def test_expired_is_shown_but_never_stored():
    assert domain.visible_status(state(expires_at=NOW - timedelta(seconds=1)), NOW) == domain.EXPIRED
    assert domain.visible_status(state(status=domain.PASSED, expires_at=NOW), NOW) == domain.PASSED
    assert domain.attempts_left(7, 5) == 0


def test_destinations_are_hashed_for_limits_and_sealed_to_their_challenge():
    keys = Keys.derive("a secret")
    assert len({keys.code, keys.destination_hmac, keys.destination_seal}) == 3
    hashed = destination_hmac(keys.destination_hmac, "email", "Marie@Example.org ")
    assert hashed == destination_hmac(keys.destination_hmac, "email", "marie@example.org")
    assert hashed != destination_hmac(keys.destination_hmac, "sms", "marie@example.org")
    assert "marie" not in hashed
    challenge = uuid.uuid4()
    sealed = seal(keys.destination_seal, challenge, "marie@example.org")
    assert b"marie" not in sealed
    assert unseal(keys.destination_seal, challenge, sealed) == "marie@example.org"
    with pytest.raises(InvalidTag):
        unseal(keys.destination_seal, uuid.uuid4(), sealed)  # bound to its challenge


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", "١٢٣٤٥٦", "", "12 456"])
def test_request_code_must_be_exactly_six_digits(code):
    with pytest.raises(ValidationError) as refused:
        VerifyChallengeRequest(code=code, purpose="change_email")
    assert refused.value.errors()[0]["type"] == "invalid_code_format"
    assert refused.value.errors()[0]["loc"] == ("code",)


def test_request_accepts_a_code_with_surrounding_spaces():
    assert VerifyChallengeRequest(code=" 012345 ", purpose="change_email").code == "012345"
