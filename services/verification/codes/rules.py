"""The code policy, free of I/O: making and checking codes, and why an attempt is refused.

Where codes go is kept without being stored in clear: a keyed HMAC identifies a destination for the send
limits. ChallengePassed must name the destination, so a pending challenge also keeps it sealed with AES-GCM
(bound to the challenge id); the service erases that copy as soon as the challenge is settled.
"""

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.refusals import Refused
from shared.wait_words import come_back_at

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
    # When the chain's last wrong try was typed (migration 0010); None while tries are left, and for chains
    # locked before the column existed.
    locked_at: datetime | None = None


def attempts_left(wrong_attempts: int, max_wrong_attempts: int) -> int:
    return max(0, max_wrong_attempts - wrong_attempts)


def visible_status(state: ChallengeState, now: datetime) -> str:
    return EXPIRED if state.status == ISSUED and state.expires_at <= now else state.status


class ChallengeNotFound(Refused):
    """Also someone else's challenge: ids cannot be probed."""


class WrongPurpose(Refused):
    pass


class TooManyCodes(Refused):
    pass


class CodeSuperseded(Refused):
    pass


class CodeUsed(Refused):
    pass


class CodeExpired(Refused):
    pass


class TooManyAttempts(Refused):
    """The chain's tries are spent: no code passes it. A new code (a fresh chain) can be asked for from a time said
    in Montréal time, in both languages."""

    def __init__(self, at_fr: str, at_en: str, wait_fr: str, wait_en: str, retry_after: int) -> None:
        super().__init__(at_fr, at_en, wait_fr, wait_en, retry_after)
        self.at_fr, self.at_en, self.wait_fr, self.wait_en = at_fr, at_en, wait_fr, wait_en
        self.retry_after = retry_after


class TooManyAttemptsAskAgain(Refused):
    """The chain's tries are spent and its cooldown is over: a new code can be asked for now."""


def too_many_attempts(new_code_from: datetime, now: datetime) -> Refused:
    if new_code_from <= now:
        return TooManyAttemptsAskAgain()
    when = come_back_at(new_code_from, now)
    return TooManyAttempts(when.at_fr, when.at_en, when.wait_fr, when.wait_en, when.retry_after)


def new_code_from(locked_at: datetime | None, cooldown: timedelta, now: datetime) -> datetime:
    """When a resend may open a fresh chain. Its tries are per chain; what keeps guessing out of reach is the
    bound across chains (settings.max_wrong_codes_per_account), so this wait is only a pause for breath."""
    return now if locked_at is None else locked_at + cooldown


class GuessesLocked(Refused):
    """Too many wrong codes for this account or destination, across challenges: every code is refused,
    the right one included, until the oldest counted wrong code leaves the window."""

    def __init__(self, hours: int, retry_after: int) -> None:
        super().__init__(hours, retry_after)
        self.hours = hours
        self.retry_after = retry_after


class GuessesLockedForAnHour(GuessesLocked):
    """About one hour: said in the singular."""


class WrongCode(Refused):
    def __init__(self, attempts_remaining: int) -> None:
        super().__init__(attempts_remaining)
        self.attempts_remaining = attempts_remaining


class WrongCodeOneTryLeft(WrongCode):
    """One try left: said in the singular."""


class WrongCodeNoTriesLeft(WrongCode):
    pass


class WrongCodeNowLocked(WrongCode):
    """The wrong code that spent the last try: it says at once from when a new code can be asked for."""

    def __init__(self, at_fr: str, at_en: str, wait_fr: str, wait_en: str) -> None:
        super().__init__(0)
        self.at_fr, self.at_en, self.wait_fr, self.wait_en = at_fr, at_en, wait_fr, wait_en


def refusal_for(
    state: ChallengeState | None,
    purpose: str,
    account_id: UUID | None,
    now: datetime,
    max_wrong_attempts: int,
    new_code_cooldown: timedelta = timedelta(minutes=15),
) -> Refused | None:
    """Why this attempt cannot succeed whatever the code typed, or None when the code decides."""
    # Someone else's challenge answers exactly like a missing one: ids cannot be probed.
    if state is None or (account_id is not None and account_id != state.account_id):
        return ChallengeNotFound()
    if purpose != state.purpose:
        return WrongPurpose()
    if state.status == THROTTLED:
        return TooManyCodes()
    if state.status == SUPERSEDED:
        return CodeSuperseded()
    if state.status == PASSED:
        return CodeUsed()
    if state.expires_at <= now:
        return CodeExpired()
    # Checked before the code: once the budget is spent, even the right code is refused.
    if attempts_left(state.wrong_attempts, max_wrong_attempts) == 0:
        return too_many_attempts(new_code_from(state.locked_at, new_code_cooldown, now), now)
    return None


def guesses_locked(retry_after: timedelta) -> GuessesLocked:
    """Too many wrong codes for this account or destination, across challenges: every code is refused,
    the right one included, until the oldest counted wrong code leaves the window."""
    seconds = max(1, int(retry_after.total_seconds() + 0.999))
    hours = max(1, round(seconds / 3600))
    return GuessesLocked(hours, seconds) if hours > 1 else GuessesLockedForAnHour(hours, seconds)


def wrong_code(
    attempts_remaining: int, new_code_from: datetime | None = None, now: datetime | None = None
) -> WrongCode:
    if attempts_remaining == 0 and new_code_from is not None and now is not None:
        when = come_back_at(new_code_from, now)
        return WrongCodeNowLocked(when.at_fr, when.at_en, when.wait_fr, when.wait_en)
    if attempts_remaining == 0:
        return WrongCodeNoTriesLeft(attempts_remaining)
    if attempts_remaining == 1:
        return WrongCodeOneTryLeft(attempts_remaining)
    return WrongCode(attempts_remaining)


_NONCE_BYTES = 12


@dataclass(frozen=True)
class Keys:
    """Independent keys derived from the service secret, one per use."""

    code: bytes
    destination_hmac: bytes
    destination_seal: bytes

    @classmethod
    def derive(cls, secret: str) -> "Keys":
        def subkey(label: bytes) -> bytes:
            return hmac.new(secret.encode(), b"verification/" + label, hashlib.sha256).digest()

        return cls(subkey(b"code"), subkey(b"destination-hmac"), subkey(b"destination-seal"))


def destination_hmac(key: bytes, channel: str, destination: str) -> str:
    # Case and surrounding spaces do not make another mailbox for the limits.
    return hmac.new(key, f"{channel}:{destination.strip().lower()}".encode(), hashlib.sha256).hexdigest()


def seal(key: bytes, challenge_id: UUID, destination: str) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, destination.encode(), challenge_id.bytes)


def unseal(key: bytes, challenge_id: UUID, sealed: bytes) -> str:
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return AESGCM(key).decrypt(nonce, ciphertext, challenge_id.bytes).decode()
