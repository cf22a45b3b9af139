"""Signing in, with no I/O: access tokens (ES256 JWT, short-lived, verified by the gateway) and opaque refresh
tokens, how login tries are limited, and the refusals of a sign-in or a session."""

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt
import phonenumbers
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

from shared.refusals import Refused

ALGORITHM = "ES256"
ISSUER = "accounts"
CITIZEN, STAFF = "citizen", "staff"


class BadCredentials(Refused):
    pass


class AccountNotActive(Refused):
    """The right password, for an account whose code was never entered."""


class TooManyAttempts(Refused):
    def __init__(self, wait: timedelta) -> None:
        seconds = max(1, int(wait.total_seconds()))
        super().__init__(seconds)
        self.seconds = seconds
        self.retry_after = seconds


class SessionExpired(Refused):
    pass


class StaffNotFound(Refused):
    """A staff member deleted since their token was issued."""


def issue_access_token(
    private_key_pem: str,
    subject: uuid.UUID,
    audience: str,
    minutes: int,
    extra: dict[str, str] | None = None,
    not_after: datetime | None = None,
) -> str:
    """`not_after`: the end of the session the token belongs to, which it never outlives."""
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=minutes)
    claims = {
        "iss": ISSUER,
        "sub": str(subject),
        "aud": audience,
        "iat": now,
        "exp": min(expires, not_after) if not_after is not None else expires,
        "jti": uuid.uuid4().hex,
        **(extra or {}),
    }
    return jwt.encode(claims, _signing_key(private_key_pem), algorithm=ALGORITHM)


@functools.lru_cache(maxsize=4)
def _signing_key(private_key_pem: str) -> EllipticCurvePrivateKey:
    # Parsed once: given the PEM, PyJWT would load the key again for every token.
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, EllipticCurvePrivateKey):
        raise ValueError(f"{ALGORITHM} signs with an elliptic-curve private key")
    return key


def new_refresh_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    """A family and its first refresh token, before they are stored (by the caller's statement)."""

    family_id: uuid.UUID
    started_at: datetime
    ends_at: datetime
    refresh_token: str
    refresh_token_hash: str


def new_session(lifetime: timedelta) -> NewSession:
    started = datetime.now(UTC)
    token, token_hash = new_refresh_token()
    return NewSession(uuid.uuid4(), started, started + lifetime, token, token_hash)


@dataclass(frozen=True)
class Limit:
    key: str
    free: int  # tries before the first delay
    memory: timedelta  # a count not touched for this long is forgotten


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
