"""Registration rules with no I/O: the password policy (NIST SP 800-63B-4), how a destination is shown
masked, and the decoy challenges that answer where no account can be proven."""

import itertools
import re
import string
import unicodedata
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path

from zxcvbn import zxcvbn

from shared.refusals import Refused
from shared.wait_words import come_back_at

MIN_PASSWORD_LENGTH = 15  # the password is the only factor
MAX_PASSWORD_LENGTH = 128  # NIST asks that at least 64 be accepted
# Rows of the QWERTY and French-Canadian keyboards, read left to right and top to bottom.
KEYBOARD_WALKS = ("1234567890qwertyuiopasdfghjklzxcvbnm", "1234567890azertyuiopqsdfghjklmwxcvbn")
BLOCKLIST_FILE = Path(__file__).parent.parent / "data" / "common-passwords.txt"
# zxcvbn's score 4, "very unguessable: strong protection from offline slow-hash scenario": online guessing is
# throttled, so the case to cover is a stolen table of argon2 hashes, where 10^10 guesses cost years of computing
# per account. Passwords of 15 characters or more that zxcvbn puts between 10^8 (score 3) and 10^10 are two common
# words or a word and a year ('football basketball', 'Montreal2026!!!!'); honest passphrases are far above (the
# weakest of the project's own test passwords is near 10^13).
MIN_PASSWORD_GUESSES = 10**10
# zxcvbn's matching grows faster than the length (a random 128-character password takes ~1 s, 72 takes ~30 ms),
# and it runs on the event loop: only the start is estimated. A password whose first 72 characters are hard to
# guess is at least as hard whole; 72 is also zxcvbn's own default limit.
ESTIMATED_LENGTH = 72
# What people bolt onto a common word to pass a length rule: digits (years, counters) and end punctuation.
_DIGITS = re.compile(r"\d+")
_NOT_A_WORD = re.compile(r"[\W_]+")


@cache
def _blocklist() -> frozenset[str]:
    with BLOCKLIST_FILE.open(encoding="utf-8") as words:
        return frozenset(words.read().split())


class WeakPassword(Refused):
    """`field`: the request's own field that held the password (registration's `password`, a reset's
    `new_password`, a change's `new_value`), so that the refusal points at what the caller sent."""

    def __init__(self, field: str = "password") -> None:
        super().__init__(field)
        self.field = field


class PasswordTooShort(WeakPassword):
    pass


class PasswordTooLong(WeakPassword):
    pass


class PasswordTooCommon(WeakPassword):
    pass


class PasswordBuiltOnName(WeakPassword):
    """On the holder's name or the local part of their email address."""


class PasswordTooGuessable(WeakPassword):
    """Not on a list, but made of patterns a cracker tries early (words, dates, sequences, keyboard runs)."""


class ChallengeNotFound(Refused):
    """No pending change nor decoy by that id (for that account): resent already, confirmed, or never asked."""


class ResendTooSoon(Refused):
    """The code's wrong tries are spent (verification said so with CodeLocked): a new code would be refused too
    until `new_code_from`, so none is asked for before then; the refusal says when, in Montréal time."""

    def __init__(self, at_fr: str, at_en: str, wait_fr: str, wait_en: str, retry_after: int) -> None:
        super().__init__(at_fr, at_en, wait_fr, wait_en, retry_after)
        self.at_fr, self.at_en, self.wait_fr, self.wait_en = at_fr, at_en, wait_fr, wait_en
        self.retry_after = retry_after


def check_resend(new_code_from: datetime | None, now: datetime) -> None:
    if new_code_from is not None and new_code_from > now:
        when = come_back_at(new_code_from, now)
        raise ResendTooSoon(when.at_fr, when.at_en, when.wait_fr, when.wait_en, when.retry_after)


def check_password(password: str, context_words: list[str], field: str = "password") -> None:
    """Length, the blocklist (also with digits and end punctuation stripped), the holder's name, then a strength
    estimate: NIST forbids composition rules, so nothing asks for a digit or a capital. Raises WeakPassword.
    `context_words`: the holder's names and email local part, which a targeted guess tries first; `field`: the
    request's field that holds the password, which the refusal names."""
    normalized = unicodedata.normalize("NFKC", password)
    length = len(normalized)
    if length < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(field)
    if length > MAX_PASSWORD_LENGTH:
        raise PasswordTooLong(field)
    lowered = normalized.lower()
    bare = _without_padding(lowered)
    if _is_repetition(lowered) or any(_is_listed(word) for word in (lowered, bare) if word):
        raise PasswordTooCommon(field)
    remainder = lowered
    for word in context_words:
        if len(word) >= 3:
            remainder = remainder.replace(word.lower(), "")
    if remainder != lowered and len(_without_padding(remainder)) < 8:
        raise PasswordBuiltOnName(field)
    # zxcvbn keeps the user inputs in a module-level dictionary for the call: safe here, where it runs on the
    # event loop's one thread, not from a thread pool.
    estimate = zxcvbn(normalized[:ESTIMATED_LENGTH], user_inputs=_targeted_words(context_words))
    if estimate["guesses"] < MIN_PASSWORD_GUESSES:
        raise PasswordTooGuessable(field)


def _is_listed(password: str) -> bool:
    return password in _blocklist() or _is_common_repeated(password)


def _without_padding(password: str) -> str:
    """'Montreal2026!!!!' -> 'montreal': the word under the digits and punctuation added to reach a length."""
    return _DIGITS.sub("", password).strip(string.whitespace + string.punctuation)


def _targeted_words(context_words: list[str]) -> list[str]:
    """Each context word and its parts ('marie.tremblay' -> 'marie', 'tremblay'), which zxcvbn only matches whole."""
    parts = {part for word in context_words for part in _NOT_A_WORD.split(word.lower()) if len(part) >= 3}
    return sorted({word.lower() for word in context_words if word} | parts)


def _is_repetition(password: str) -> bool:
    """A short pattern repeated ('aaaa…', 'abcabc…') or a keyboard/number run."""
    for size in range(1, 5):
        pattern = password[:size]
        if pattern * (len(password) // size) + pattern[: len(password) % size] == password:
            return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(password)}
    if steps in ({1}, {-1}):
        return True
    walk = password.replace(" ", "")
    return any(walk in row or walk in row[::-1] for row in KEYBOARD_WALKS)


def _is_common_repeated(password: str) -> bool:
    """A common password repeated to reach the length ('passwordpassword')."""
    length = len(password)
    return any(
        length % size == 0 and password == password[:size] * (length // size) and password[:size] in _blocklist()
        for size in range(4, length // 2 + 1)
    )


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    return f"***{phone[-4:]}"


def masked(channel: str, destination: str) -> str:
    # In lower case: the address as stored and as typed may differ in case, which would tell them apart.
    return mask_email(destination.lower()) if channel == "email" else mask_phone(destination)


# Ids of the accounts that do not exist, for decoy challenges: stable per destination, so verification limits
# the codes and wrong tries of a decoy per "account" as it does a real one's.
DECOY_ACCOUNTS = uuid.UUID("5b0c8e52-3f1d-4a8e-9c57-2d6f0e1a7b94")


def decoy_account(channel: str, destination: str) -> uuid.UUID:
    return uuid.uuid5(DECOY_ACCOUNTS, f"{channel}:{destination}")
