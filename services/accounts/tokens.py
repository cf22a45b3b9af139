"""Access tokens (ES256 JWT, short-lived, verified by the gateway) and opaque refresh tokens."""

import functools
import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

ALGORITHM = "ES256"
ISSUER = "accounts"


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
def _signing_key(private_key_pem: str) -> PrivateKeyTypes:
    # Parsed once: given the PEM, PyJWT would load the key again for every token.
    return serialization.load_pem_private_key(private_key_pem.encode(), password=None)


def new_refresh_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
