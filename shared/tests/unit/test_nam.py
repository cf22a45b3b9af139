from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from shared.nam import (
    BIRTH_DATE_MISMATCH,
    NAME_MISMATCH,
    SEX_MISMATCH,
    Nam,
    build_nam,
    check_digit,
    nam_hmac,
    nam_warnings,
    normalize_nam,
    surname_letters,
    validate_nam,
)

TODAY = date(2026, 5, 1)


class Patient(BaseModel):
    nam: Nam


def test_design_examples_are_valid_and_decode():
    man = validate_nam("TEST54122816", TODAY)
    assert (man.birth_date, man.sex, man.surname_letters, man.given_initial) == (date(1954, 12, 28), "M", "TES", "T")
    woman = validate_nam("TEST12542819", TODAY)
    assert (woman.birth_date, woman.sex) == (date(1912, 4, 28), "F")


def test_the_check_digit_carries_the_century():
    # Same first eleven characters: 1912 and 2012 births differ only by their check digit.
    assert validate_nam("TEST12542817", TODAY).birth_date == date(2012, 4, 28)
    assert validate_nam("TEST12542819", TODAY).birth_date == date(1912, 4, 28)


def test_a_birth_date_in_the_future_is_never_chosen():
    future_check = check_digit("TEST", date(2030, 1, 1), "M", "1")
    with pytest.raises(PydanticCustomError):
        validate_nam(f"TEST3001011{future_check}", TODAY)
    assert validate_nam(build_nam("TEST", date(1930, 1, 1), "M", "1"), TODAY).birth_date == date(1930, 1, 1)


def test_normalize_strips_spaces_and_upper_cases():
    assert normalize_nam(" test 5412\t2816 ") == "TEST54122816"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "TEST5412281",  # 11 characters
        "TEST541228166",  # 13
        "TES154122816",  # digit among the letters
        "TESTA4122816",  # letter among the digits
        "TEST54132816",  # month 13
        "TEST54632816",  # month 63 (women: 51-62)
        "TEST54123216",  # day 32
        "TEST54022916",  # 29 February 1954 / 2054
        "TEST54122817",  # wrong check digit
        "TÉST54122816",
    ],
)
def test_bad_nams_are_refused_with_invalid_nam(bad):
    with pytest.raises(PydanticCustomError) as refused:
        validate_nam(bad, TODAY)
    assert refused.value.type == "invalid_nam"


def test_pydantic_type_normalises_and_refuses_with_its_code():
    assert Patient(nam="test 5412 2816").nam == "TEST54122816"
    with pytest.raises(ValidationError) as refused:
        Patient(nam="TEST54122817")
    assert refused.value.errors()[0]["type"] == "invalid_nam"


def test_warnings_fold_accents_hyphens_and_apostrophes():
    nam = build_nam("LEVE", date(1980, 3, 14), "F", "2")
    assert nam_warnings(nam, "Lévesque", "Émilie", date(1980, 3, 14), "F") == []
    assert nam_warnings(build_nam("DAMJ", date(1980, 3, 14), "M", "2"), "D'Amour-Côté", "Jean", None, None) == []
    assert nam_warnings(build_nam("STPM", date(1980, 3, 14), "M", "2"), "St-Pierre", "Marc", None, None) == []


def test_short_surnames_are_padded_with_x():
    assert surname_letters("Ng") == "NGX"
    assert surname_letters("Ô") == "OXX"
    assert nam_warnings(build_nam("NGXL", date(1990, 7, 1), "M", "1"), "Ng", "Li", date(1990, 7, 1), "M") == []


def test_each_disagreement_is_its_own_warning():
    nam = build_nam("TREM", date(1975, 6, 2), "F", "1")
    assert nam_warnings(nam, "Tremblay", "Marie", date(1975, 6, 2), "F") == []
    assert nam_warnings(nam, "Gagnon", "Marie", date(1975, 6, 2), "F") == [NAME_MISMATCH]
    assert nam_warnings(nam, "Tremblay", "Louise", date(1975, 6, 2), "F") == [NAME_MISMATCH]
    assert nam_warnings(nam, "Tremblay", "Marie", date(1975, 6, 3), "F") == [BIRTH_DATE_MISMATCH]
    assert nam_warnings(nam, "Tremblay", "Marie", date(1975, 6, 2), "M") == [SEX_MISMATCH]
    assert nam_warnings(nam, "Roy", "Luc", date(1976, 6, 2), "m") == [NAME_MISMATCH, BIRTH_DATE_MISMATCH, SEX_MISMATCH]
    assert nam_warnings(nam, None, None, None, None) == []


def test_hmac_is_keyed_and_ignores_formatting():
    assert nam_hmac(b"k1", "test 5412 2816") == nam_hmac(b"k1", "TEST54122816")
    assert nam_hmac(b"k1", "TEST54122816") != nam_hmac(b"k2", "TEST54122816")
    assert "TEST" not in nam_hmac(b"k1", "TEST54122816")


letters = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=4, max_size=4)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sexes = st.sampled_from(["M", "F"])
admin_digits = st.sampled_from("0123456789")


@given(letters, birth_dates, sexes, admin_digits)
def test_every_built_nam_validates_and_decodes_back(name_letters, birth, sex, admin):
    nam = build_nam(name_letters, birth, sex, admin)
    if sex == "F":
        assert 51 <= int(nam[6:8]) <= 62
    info = validate_nam(nam, TODAY)
    assert (info.birth_date, info.sex, info.surname_letters, info.given_initial, info.admin_digit) == (
        birth,
        sex,
        name_letters[:3],
        name_letters[3],
        admin,
    )


def _other_century(birth: date) -> date | None:
    try:
        other = birth.replace(year=birth.year + (100 if birth.year < 2000 else -100))
    except ValueError:
        return None  # 29 February in a year that is not a leap year
    return other if other <= TODAY else None


@given(letters, birth_dates, sexes, admin_digits)
def test_any_other_check_digit_is_refused_or_means_the_other_century(name_letters, birth, sex, admin):
    nam = build_nam(name_letters, birth, sex, admin)
    other = _other_century(birth)
    for digit in "0123456789":
        if digit == nam[-1]:
            continue
        altered = nam[:-1] + digit
        if other is not None and digit == check_digit(name_letters, other, sex, admin):
            # The one other digit that is valid is the same person born a century apart, never this birth date.
            assert validate_nam(altered, TODAY).birth_date == other
        else:
            with pytest.raises(PydanticCustomError):
                validate_nam(altered, TODAY)


@given(letters, st.dates(min_value=date(1927, 1, 1), max_value=date(1999, 12, 31)), sexes, admin_digits)
def test_when_only_one_century_is_possible_every_other_digit_is_refused(name_letters, birth, sex, admin):
    # Born 1927-1999 (before TODAY's 2-digit year + 100): 20YY would be in the future.
    nam = build_nam(name_letters, birth, sex, admin)
    for digit in set("0123456789") - {nam[-1]}:
        with pytest.raises(PydanticCustomError):
            validate_nam(nam[:-1] + digit, TODAY)


@given(st.text(max_size=14))
def test_arbitrary_text_is_either_a_valid_nam_or_refused(raw):
    nam = normalize_nam(raw)
    try:
        info = validate_nam(nam, TODAY)
    except PydanticCustomError as exc:
        refused_type = exc.type
    else:
        refused_type = None
        assert build_nam(nam[:4], info.birth_date, info.sex, info.admin_digit) == nam
    assert refused_type in (None, "invalid_nam")
