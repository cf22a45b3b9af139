"""The code policy, free of I/O: making and checking codes, and why an attempt is refused."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from shared.errors import ApiError

ISSUED, PASSED, SUPERSEDED, THROTTLED = "issued", "passed", "superseded", "throttled"
EXPIRED = "expired"  # shown to the portal, never stored: an issued challenge past its deadline

CODE_DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(key: bytes, challenge_id: UUID, code: str) -> str:
    # Salted with the challenge id: equal codes of two challenges never share a hash, and a
    # table of all 10^6 codes' hashes would have to be rebuilt for each challenge (and needs the key).
    return hmac.new(key, challenge_id.bytes + code.encode(), hashlib.sha256).hexdigest()


# Stored for a decoy challenge (CodeRequested.decoy): no hexadecimal HMAC ever equals it.
NO_CODE_MATCHES = "decoy"


def code_matches(key: bytes, challenge_id: UUID, code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_code(key, challenge_id, code), stored_hash)


@dataclass(frozen=True)
class ChallengeState:
    account_id: UUID
    purpose: str
    status: str
    expires_at: datetime
    wrong_attempts: int


def attempts_left(wrong_attempts: int, max_wrong_attempts: int) -> int:
    return max(0, max_wrong_attempts - wrong_attempts)


def visible_status(state: ChallengeState, now: datetime) -> str:
    return EXPIRED if state.status == ISSUED and state.expires_at <= now else state.status


CHALLENGE_NOT_FOUND = ApiError(404, "challenge_not_found", "code", "Code introuvable.", "Code not found.")
WRONG_PURPOSE = ApiError(
    422, "wrong_purpose", "purpose", "Ce code ne sert pas à cette opération.", "This code is not for this operation."
)
TOO_MANY_CODES = ApiError(
    429,
    "too_many_codes",
    "code",
    "Trop de codes ont été demandés. Réessayez dans une heure.",
    "Too many codes were requested. Please try again in an hour.",
)
CODE_SUPERSEDED = ApiError(
    410,
    "code_superseded",
    "code",
    "Un nouveau code vous a été envoyé : utilisez le plus récent.",
    "A newer code was sent to you: please use the latest one.",
)
CODE_USED = ApiError(410, "code_used", "code", "Ce code a déjà été utilisé.", "This code has already been used.")
CODE_EXPIRED = ApiError(
    410,
    "code_expired",
    "code",
    "Ce code a expiré. Demandez-en un nouveau.",
    "This code has expired. Ask for a new one.",
)
TOO_MANY_ATTEMPTS = ApiError(
    429,
    "too_many_attempts",
    "code",
    "Trop d'essais incorrects : ce code est bloqué. Recommencez la démarche plus tard.",
    "Too many wrong tries: this code is locked. Please start over later.",
)


def refusal_for(
    state: ChallengeState | None, purpose: str, account_id: UUID | None, now: datetime, max_wrong_attempts: int
) -> ApiError | None:
    """Why this attempt cannot succeed whatever the code typed, or None when the code decides."""
    # Someone else's challenge answers exactly like a missing one: ids cannot be probed.
    if state is None or (account_id is not None and account_id != state.account_id):
        return CHALLENGE_NOT_FOUND
    if purpose != state.purpose:
        return WRONG_PURPOSE
    if state.status == THROTTLED:
        return TOO_MANY_CODES
    if state.status == SUPERSEDED:
        return CODE_SUPERSEDED
    if state.status == PASSED:
        return CODE_USED
    if state.expires_at <= now:
        return CODE_EXPIRED
    # Checked before the code: once the budget is spent, even the right code is refused.
    if attempts_left(state.wrong_attempts, max_wrong_attempts) == 0:
        return TOO_MANY_ATTEMPTS
    return None


def guesses_locked(retry_after: timedelta) -> ApiError:
    """Too many wrong codes for this account or destination, across challenges: every code is refused,
    the right one included, until the oldest counted wrong code leaves the window."""
    seconds = max(1, int(retry_after.total_seconds() + 0.999))
    hours = max(1, round(seconds / 3600))
    s = "s" if hours > 1 else ""
    return ApiError(
        429,
        "too_many_wrong_codes",
        "code",
        f"Trop de codes incorrects ont été saisis pour ce compte. Réessayez dans environ {hours} heure{s}.",
        f"Too many wrong codes were entered for this account. Please try again in about {hours} hour{s}.",
        headers={"Retry-After": str(seconds)},
    )


def wrong_code(attempts_remaining: int) -> ApiError:
    if attempts_remaining == 0:
        fr, en = "Code incorrect. Il ne reste aucun essai.", "Wrong code. No tries left."
    else:
        s = "s" if attempts_remaining > 1 else ""
        fr = f"Code incorrect. Il vous reste {attempts_remaining} essai{s}."
        en = f"Wrong code. {attempts_remaining} tr{'ies' if s else 'y'} left."
    return ApiError(422, "wrong_code", "code", fr, en)
