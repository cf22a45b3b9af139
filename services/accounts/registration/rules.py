"""Registration rules with no I/O: the password policy (NIST SP 800-63B-4), how a destination is shown
masked, and the decoy challenges that answer where no account can be proven."""

import itertools
import unicodedata
import uuid
from functools import cache
from pathlib import Path

from shared.refusals import Refused

MIN_PASSWORD_LENGTH = 15  # the password is the only factor
MAX_PASSWORD_LENGTH = 128  # NIST asks that at least 64 be accepted
# Rows of the QWERTY and French-Canadian keyboards, read left to right and top to bottom.
KEYBOARD_WALKS = ("1234567890qwertyuiopasdfghjklzxcvbnm", "1234567890azertyuiopqsdfghjklmwxcvbn")
BLOCKLIST_FILE = Path(__file__).parent.parent / "data" / "common-passwords.txt"


@cache
def _blocklist() -> frozenset[str]:
    with BLOCKLIST_FILE.open(encoding="utf-8") as words:
        return frozenset(words.read().split())


class WeakPassword(Refused):
    pass


class PasswordTooShort(WeakPassword):
    pass


class PasswordTooLong(WeakPassword):
    pass


class PasswordTooCommon(WeakPassword):
    pass


class PasswordBuiltOnName(WeakPassword):
    """On the holder's name or the local part of their email address."""


class ChallengeNotFound(Refused):
    """No pending change nor decoy by that id (for that account): resent already, confirmed, or never asked."""


def check_password(password: str, context_words: list[str]) -> None:
    """Length and blocklist only: NIST forbids composition rules. Raises WeakPassword."""
    normalized = unicodedata.normalize("NFKC", password)
    length = len(normalized)
    if length < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort
    if length > MAX_PASSWORD_LENGTH:
        raise PasswordTooLong
    lowered = normalized.lower()
    if lowered in _blocklist() or _is_repetition(lowered) or _is_common_repeated(lowered):
        raise PasswordTooCommon
    remainder = lowered
    for word in context_words:
        if len(word) >= 3:
            remainder = remainder.replace(word.lower(), "")
    if remainder != lowered and len(remainder.strip()) < 8:
        raise PasswordBuiltOnName


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
