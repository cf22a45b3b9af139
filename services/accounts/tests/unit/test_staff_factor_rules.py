"""The second factor's pure rules: which code was typed, which time step a TOTP code is, what a staff token claims."""

import uuid
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from services.accounts.sessions.rules import (
    CodeAlreadyUsed,
    HeldRole,
    StaffDisabled,
    check_may_sign_in,
    check_step_is_new,
    first_establishment,
    hash_recovery_code,
    new_recovery_codes,
    read_code,
    staff_claims,
    totp_code_step,
    totp_step,
)

AT = datetime(2026, 12, 6, 8, 0, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("123456", "totp", "123456"),
        (" 123 456 ", "totp", "123456"),
        ("abcde-fghjk", "recovery", "abcdefghjk"),
        ("ABCDE FGHJK", "recovery", "abcdefghjk"),
        ("12345", None, "12345"),
        ("١٢٣٤٥٦", None, "١٢٣٤٥٦"),  # digits, but not ASCII ones
        ("abcde-fghjo", None, "abcdefghjo"),  # o is not in the alphabet
    ],
)
def test_what_was_typed_is_read_as_a_totp_or_a_recovery_code(typed, kind, value):
    assert (read_code(typed).kind, read_code(typed).value) == (kind, value)


def test_a_code_is_matched_to_its_step_within_one_step_either_side():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = totp_step(AT)
    for offset in (-1, 0, 1):
        assert totp_code_step(secret, totp.generate_otp(now + offset), AT) == now + offset
    for offset in (-3, 2):
        code = totp.generate_otp(now + offset)
        if code not in {totp.generate_otp(now + o) for o in (-1, 0, 1)}:
            assert totp_code_step(secret, code, AT) is None
    assert totp_code_step(secret, totp.at(AT), AT + timedelta(seconds=30)) == now


def test_a_step_works_once():
    check_step_is_new(10, None)
    check_step_is_new(11, 10)
    for step in (9, 10):
        with pytest.raises(CodeAlreadyUsed):
            check_step_is_new(step, 10)


def test_recovery_codes_are_ten_different_and_hashed_as_typed():
    codes = new_recovery_codes()
    assert len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" and read_code(code).kind == "recovery" for code in codes)
    assert hash_recovery_code(codes[0]) == hash_recovery_code(codes[0].upper().replace("-", " "))


def test_claims_name_the_chosen_establishment_the_operator_or_nothing_yet():
    x, y = uuid.uuid4(), uuid.uuid4()
    both = [HeldRole(x, "clerk"), HeldRole(y, "manager")]
    assert staff_claims(False, both, y) == {"est": str(y), "role": "manager"}
    assert staff_claims(False, both, None) == {"role": ""}
    assert staff_claims(False, [HeldRole(x, "clerk")], y) is None  # the role there is gone
    assert staff_claims(False, [], None) is None
    assert staff_claims(True, [], None) == {"role": "operator"}
    assert first_establishment(False, [HeldRole(x, "clerk")]) == x
    assert first_establishment(False, both) is None
    assert first_establishment(True, [HeldRole(x, "clerk")]) is None
    check_may_sign_in(True, [])
    with pytest.raises(StaffDisabled):
        check_may_sign_in(False, [])
