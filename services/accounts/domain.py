"""Account rules with no I/O: password policy (NIST SP 800-63B-4), login throttling, masking."""

import itertools
import unicodedata
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

import phonenumbers

from shared.errors import ApiError

MIN_PASSWORD_LENGTH = 15  # the password is the only factor
MAX_PASSWORD_LENGTH = 128  # NIST asks that at least 64 be accepted
# Rows of the QWERTY and French-Canadian keyboards, read left to right and top to bottom.
KEYBOARD_WALKS = ("1234567890qwertyuiopasdfghjklzxcvbnm", "1234567890azertyuiopqsdfghjklmwxcvbn")
BLOCKLIST_FILE = Path(__file__).parent / "data" / "common-passwords.txt"


@cache
def _blocklist() -> frozenset[str]:
    return frozenset(BLOCKLIST_FILE.read_text().split())


def _weak_error(fr: str, en: str) -> ApiError:
    return ApiError(422, "weak_password", "password", fr, en)


def check_password(password: str, context_words: list[str]) -> None:
    """Length and blocklist only: NIST forbids composition rules. Raises ApiError."""
    normalized = unicodedata.normalize("NFKC", password)
    length = len(normalized)
    if length < MIN_PASSWORD_LENGTH:
        raise _weak_error(
            f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères.",
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.",
        )
    if length > MAX_PASSWORD_LENGTH:
        raise _weak_error(
            f"Le mot de passe ne peut dépasser {MAX_PASSWORD_LENGTH} caractères.",
            f"The password cannot be longer than {MAX_PASSWORD_LENGTH} characters.",
        )
    lowered = normalized.lower()
    if lowered in _blocklist() or _is_repetition(lowered) or _is_common_repeated(lowered):
        raise _weak_error(
            "Ce mot de passe est trop courant. Choisissez une phrase que vous seul connaissez.",
            "This password is too common. Choose a passphrase only you would know.",
        )
    remainder = lowered
    for word in context_words:
        if len(word) >= 3:
            remainder = remainder.replace(word.lower(), "")
    if remainder != lowered and len(remainder.strip()) < 8:
        raise _weak_error(
            "Le mot de passe ne doit pas reprendre votre nom ou votre courriel.",
            "The password must not be built on your name or email address.",
        )


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


def login_delay(failures: int, last_failure_at: datetime, now: datetime, free_failures: int) -> timedelta:
    """How long before another try: grows with failures, capped at 15 minutes, never permanent."""
    if failures < free_failures:
        return timedelta(0)
    wait = timedelta(seconds=min(2 ** (failures - free_failures + 1), 900))
    remaining = last_failure_at + wait - now
    return max(remaining, timedelta(0))


def login_identifier(identifier: str) -> tuple[Literal["email", "phone"], str | None]:
    """How an account is looked up from what was typed: its email in lower case, or its phone number in
    E.164 (read as Canadian when it has no country code); None when it is no readable phone number."""
    identifier = identifier.strip()
    if "@" in identifier:
        return "email", identifier.lower()
    try:
        number = phonenumbers.parse(identifier, "CA")
    except phonenumbers.NumberParseException:
        return "phone", None
    return "phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str) -> str:
    return f"***{phone[-4:]}"


def too_many_failures(retry_after: timedelta) -> ApiError:
    seconds = max(1, int(retry_after.total_seconds()))
    return ApiError(
        429,
        "too_many_attempts",
        "password",
        f"Trop de tentatives. Réessayez dans {seconds} secondes.",
        f"Too many attempts. Try again in {seconds} seconds.",
        headers={"Retry-After": str(seconds)},
    )


BAD_CREDENTIALS = ApiError(
    401,
    "bad_credentials",
    "password",
    "Identifiant ou mot de passe incorrect.",
    "Wrong identifier or password.",
)
ACCOUNT_NOT_ACTIVE = ApiError(
    403,
    "account_not_active",
    "identifier",
    "Confirmez d'abord votre courriel ou votre cellulaire avec le code reçu.",
    "First confirm your email or mobile phone with the code you received.",
)
NOT_FOUND = ApiError(404, "not_found", None, "Introuvable.", "Not found.")
WRONG_PASSWORD = ApiError(403, "wrong_password", "password", "Mot de passe incorrect.", "Wrong password.")
