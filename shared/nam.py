"""Québec health insurance numbers (NAM): format, check digit, decoding, and a keyed HMAC for linking.

`LLLF YYMM DD XC`: surname letters 1-3, given-name initial, birth year (2 digits), month (+50 for
women), day, administrative digit, check digit. The check digit is computed over the 4-digit birth
year, so it is what tells a 1912 birth from a 2012 one: the century is the one (never in the future)
whose check digit matches. Pure functions, no I/O. Never log a NAM.
"""

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

Sex = Literal["M", "F"]

_FORMAT = re.compile(r"[A-Z]{4}[0-9]{8}")
_WHITESPACE = re.compile(r"\s+")
_WEIGHTS = (1, 3, 7, 9, 1, 7, 1, 3, 4, 5, 7, 6, 9, 1)
FEMALE_MONTH_OFFSET = 50

NAME_MISMATCH = "nam_name_mismatch"
BIRTH_DATE_MISMATCH = "nam_birth_date_mismatch"
SEX_MISMATCH = "nam_sex_mismatch"


@dataclass(frozen=True)
class NamInfo:
    nam: str
    surname_letters: str
    given_initial: str
    birth_date: date
    sex: Sex
    admin_digit: str


def normalize_nam(raw: str) -> str:
    return _WHITESPACE.sub("", raw).upper()


def _ebcdic(char: str) -> int:
    if char.isdigit():
        return 240 + int(char)
    index = ord(char) - ord("A")
    if index < 9:  # A-I
        return 193 + index
    if index < 18:  # J-R
        return 209 + index - 9
    return 226 + index - 18  # S-Z


def check_digit(letters: str, birth_date: date, sex: Sex, admin_digit: str) -> str:
    """The RAMQ check digit of LLLF + YYYY + M/F + MM + DD + X."""
    source = f"{letters}{birth_date:%Y}{sex}{birth_date:%m%d}{admin_digit}"
    return str(sum(_ebcdic(char) * weight for char, weight in zip(source, _WEIGHTS, strict=True)) % 10)


def build_nam(letters: str, birth_date: date, sex: Sex, admin_digit: str) -> str:
    """The NAM of these parts, with its check digit (for tests and demo data)."""
    month = birth_date.month + (FEMALE_MONTH_OFFSET if sex == "F" else 0)
    body = f"{letters}{birth_date:%y}{month:02d}{birth_date:%d}{admin_digit}"
    return body + check_digit(letters, birth_date, sex, admin_digit)


def _invalid(reason: str) -> PydanticCustomError:
    return PydanticCustomError("invalid_nam", "Invalid health insurance number (NAM): {reason}", {"reason": reason})


def validate_nam(nam: str, today: date | None = None) -> NamInfo:
    """Decodes a normalized NAM; raises PydanticCustomError('invalid_nam') if it cannot be one."""
    if not _FORMAT.fullmatch(nam):
        raise _invalid("expected 4 letters and 8 digits")
    letters, yy, mm, dd, admin, check = nam[:4], int(nam[4:6]), int(nam[6:8]), int(nam[8:10]), nam[10], nam[11]
    sex: Sex = "F" if mm > FEMALE_MONTH_OFFSET else "M"
    month = mm - FEMALE_MONTH_OFFSET if sex == "F" else mm
    today = today or date.today()
    for century in (2000, 1900):  # most recent first: a birth date cannot be in the future
        try:
            birth = date(century + yy, month, dd)
        except ValueError:
            continue  # e.g. month 13, or 29 February in a year that is not a leap year
        if birth <= today and check_digit(letters, birth, sex, admin) == check:
            return NamInfo(nam, letters[:3], letters[3], birth, sex, admin)
    raise _invalid("wrong birth date or check digit")


def _checked(raw: str) -> str:
    nam = normalize_nam(raw)
    validate_nam(nam)
    return nam


# For request models: accepts "test 5412 2816", keeps "TEST54122816", refuses with code invalid_nam.
Nam = Annotated[str, StringConstraints(max_length=32), AfterValidator(_checked)]


# Letters NFKD does not decompose.
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "OE", "Æ": "AE", "æ": "AE", "ß": "SS"})


def _fold(name: str) -> str:
    """Letters only, unaccented, upper case: 'Lévesque' -> 'LEVESQUE', "D'Amour-Côté" -> 'DAMOURCOTE'."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_LIGATURES))
    return "".join(char for char in decomposed if char.isascii() and char.isalpha()).upper()


def surname_letters(last_name: str) -> str:
    # The RAMQ pads surnames shorter than three letters with X ("Ng" -> "NGX").
    return _fold(last_name)[:3].ljust(3, "X")


def nam_warnings(
    nam: str, last_name: str | None, first_name: str | None, birth_date: date | None, sex: str | None
) -> list[str]:
    """What a clerk should double-check: a NAM disagreeing with the person is a warning, not an error.

    Facts not given (None) are not compared. Raises like validate_nam if the NAM itself is invalid.
    """
    info = validate_nam(normalize_nam(nam))
    warnings = []
    if (last_name is not None and surname_letters(last_name) != info.surname_letters) or (
        first_name is not None and _fold(first_name)[:1] != info.given_initial
    ):
        warnings.append(NAME_MISMATCH)
    if birth_date is not None and birth_date != info.birth_date:
        warnings.append(BIRTH_DATE_MISMATCH)
    # Only M/F are encoded in a NAM: another value recorded for the person cannot be compared.
    if sex is not None and sex.upper() in ("M", "F") and sex.upper() != info.sex:
        warnings.append(SEX_MISMATCH)
    return warnings


def nam_hmac(key: bytes, nam: str) -> str:
    """A keyed digest to find accounts carrying the same NAM without storing the NAM itself."""
    return hmac.new(key, normalize_nam(nam).encode(), hashlib.sha256).hexdigest()


def identity_key(key: bytes, nam_digest: str, birth_date: date) -> str:
    """One person as a clinic may validate them, NAM and birth date together, as one keyed digest: a booking
    made without an account is matched to a validated person with neither field travelling or kept in clear.
    Built on the NAM's keyed digest, so a service holding only that digest (accounts' dependants) can derive it."""
    return hmac.new(key, f"{nam_digest}|{birth_date.isoformat()}".encode(), hashlib.sha256).hexdigest()
