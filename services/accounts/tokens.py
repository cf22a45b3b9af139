"""Access tokens (ES256 JWT, short-lived, verified by the gateway) and opaque refresh tokens."""

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "ES256"
ISSUER = "accounts"


def issue_access_token(
    private_key_pem: str, subject: uuid.UUID, audience: str, minutes: int, extra: dict[str, str] | None = None
) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "sub": str(subject),
        "aud": audience,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
        "jti": uuid.uuid4().hex,
        **(extra or {}),
    }
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM)


def new_refresh_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
