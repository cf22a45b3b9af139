"""Signing in, with no I/O: access tokens (ES256 JWT, short-lived, verified by the gateway) and opaque refresh
tokens, how login tries are limited, and the refusals of a sign-in or a session."""

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt
import phonenumbers
import pyotp
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


# --- Staff: roles, and the second factor (RFC 6238 TOTP, with single-use recovery codes) ---

OPERATOR_ROLE = "operator"
# What an authenticator shows beside the code: the portal's name (gateway/web/texts.py `site_name`).
TOTP_ISSUER = "Rendez-vous santé"
TOTP_PERIOD_SECONDS = 30
# One step either side: a phone's clock a little off, or a code typed as it changed.
TOTP_WINDOW = 1
FACTOR_CHALLENGE_LIFETIME = timedelta(minutes=5)
MAX_WRONG_CODES = 5
RECOVERY_CODES = 10
# No 0/o, 1/l/i: read from paper and typed again.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_HALF = 5
NEXT_TOTP, NEXT_ENROL = "totp", "enrol"
VERIFY, ENROL = "verify", "enrol"  # a challenge's purpose, as stored


class StaffDisabled(Refused):
    """The right password, for a person who holds no active role and is no operator."""


class FactorChallengeExpired(Refused):
    """Unknown, used, expired or killed by too many wrong codes: sign in again."""


class WrongCode(Refused):
    def __init__(self, tries_left: int) -> None:
        super().__init__(tries_left)
        self.tries_left = tries_left


class CodeAlreadyUsed(Refused):
    """A TOTP code of a time step no newer than the last one accepted (RFC 6238 §5.2)."""


class OperatorEmailIsCitizen(Refused):
    """A staff e-mail never opens a citizen account, nor a citizen's becomes staff."""


class AlreadyStaff(Refused):
    pass


class InvalidOperatorDetails(Refused):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


# Who the audit log names for what the command line does when no operator is given to act as: a fixed id,
# no one's account (services/accounts/cli.py).
COMMAND_LINE_OPERATOR = uuid.UUID("00000000-0000-4000-8000-00000000c11e")


def check_operator_details(email: str, name: str, totp_secret: str | None) -> None:
    if "@" not in email or len(email) > 254 or email != email.strip():
        raise InvalidOperatorDetails("email")
    if not 1 <= len(name.strip()) <= 120:
        raise InvalidOperatorDetails("name")
    if totp_secret is not None:
        try:
            base64.b32decode(totp_secret.upper(), casefold=False)
        except (binascii.Error, ValueError):
            raise InvalidOperatorDetails("totp_secret") from None
        if len(totp_secret) < 16:
            raise InvalidOperatorDetails("totp_secret")


class RoleNotHeld(Refused):
    """The establishment chosen is not one where the person holds an active role."""


@dataclass(frozen=True)
class HeldRole:
    establishment_id: uuid.UUID
    role: str  # clerk | manager


def staff_claims(operator: bool, roles: list[HeldRole], chosen: uuid.UUID | None) -> dict[str, str] | None:
    """The access token's claims for a person with these active roles, in a session at `chosen` (None: none
    chosen); None when that session may not go on (the role there was disabled, or no role at all left)."""
    if chosen is not None:
        held = next((r.role for r in roles if r.establishment_id == chosen), None)
        return None if held is None else {"est": str(chosen), "role": held}
    if operator:
        return {"role": OPERATOR_ROLE}
    if not roles:
        return None
    # Several establishments, none chosen yet: a token that opens nothing until the choice.
    return {"role": ""}


def first_establishment(operator: bool, roles: list[HeldRole]) -> uuid.UUID | None:
    """Chosen for the person when there is nothing to choose: their only establishment."""
    return roles[0].establishment_id if not operator and len(roles) == 1 else None


def check_may_sign_in(operator: bool, roles: list[HeldRole]) -> None:
    if not operator and not roles:
        raise StaffDisabled


def new_totp_secret() -> str:
    return pyotp.random_base32()


def otpauth_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def totp_step(at: datetime) -> int:
    return int(at.timestamp()) // TOTP_PERIOD_SECONDS


@dataclass(frozen=True)
class TypedCode:
    """What was typed in the code field, read: a TOTP code (6 digits) or a recovery code (10 letters or digits,
    case, spaces and dashes ignored); `kind` None when it is neither."""

    kind: Literal["totp", "recovery"] | None
    value: str


def read_code(typed: str) -> TypedCode:
    compact = "".join(c for c in typed.lower() if c not in " -\t")
    if len(compact) == 6 and compact.isascii() and compact.isdigit():
        return TypedCode("totp", compact)
    if len(compact) == 2 * _RECOVERY_HALF and all(c in _RECOVERY_ALPHABET for c in compact):
        return TypedCode("recovery", compact)
    return TypedCode(None, compact)


def totp_code_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code `code` is, within the window around `at` (the newest, should two steps share a
    code); None when it is none of them."""
    totp = pyotp.TOTP(secret)
    now = totp_step(at)
    matching = [
        step
        for step in range(now - TOTP_WINDOW, now + TOTP_WINDOW + 1)
        if hmac.compare_digest(totp.generate_otp(step), code)
    ]
    return max(matching) if matching else None


def check_step_is_new(step: int, last_step: int | None) -> None:
    """A code works once: RFC 6238 §5.2."""
    if last_step is not None and step <= last_step:
        raise CodeAlreadyUsed


def new_recovery_codes() -> list[str]:
    """Shown once at enrolment, as `xxxxx-xxxxx`."""

    def half() -> str:
        return "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_HALF))

    return [f"{half()}-{half()}" for _ in range(RECOVERY_CODES)]


def hash_recovery_code(code: str) -> str:
    """Of a recovery code as typed or as issued: the same hash (read_code's compact form). 10 random characters
    of 31 (about 50 bits), single use and behind the password and a 5-try challenge: sha256 is enough."""
    return hashlib.sha256(read_code(code).value.encode()).hexdigest()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_factor_challenge() -> tuple[str, str]:
    """The opaque token the console holds between the password and the code, and its stored hash."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def check_challenge_open(
    expires_at: datetime, used_at: datetime | None, wrong_codes: int, purpose: str, wanted: str, now: datetime
) -> None:
    if used_at is not None or expires_at <= now or wrong_codes >= MAX_WRONG_CODES or purpose != wanted:
        raise FactorChallengeExpired
