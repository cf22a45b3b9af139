"""Access tokens for tests that call a service directly, as the gateway does: signed with a test key pair.

A service takes who is calling only from a token its public key verifies (shared/caller.py), so a test
that used to set X-Account-Id now builds the app with `jwt_public_key=TEST_PUBLIC_KEY` and sends
`citizen_headers(account_id)` or `staff_headers(...)`. The claims are the ones accounts signs
(services/accounts/sessions/rules.py); shared/ imports no service, hence this copy of their shape.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from devstack.jwt_keys import generate_es256_keypair
from shared.caller import ALGORITHM, ISSUER, CallerVerifier

TEST_PRIVATE_KEY, TEST_PUBLIC_KEY = generate_es256_keypair()


def access_token(
    subject: uuid.UUID | str,
    audience: str,
    *,
    private_key: str = TEST_PRIVATE_KEY,
    minutes: float = 15,
    extra: dict[str, Any] | None = None,
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
    return jwt.encode(claims, private_key, algorithm=ALGORITHM)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def citizen_headers(account_id: uuid.UUID | str, *, private_key: str = TEST_PRIVATE_KEY) -> dict[str, str]:
    return bearer(access_token(account_id, "citizen", private_key=private_key))


def staff_headers(
    establishment_id: uuid.UUID | str,
    role: str = "clerk",
    staff_id: uuid.UUID | str | None = None,
    *,
    private_key: str = TEST_PRIVATE_KEY,
) -> dict[str, str]:
    extra = {"est": str(establishment_id), "role": role}
    return bearer(access_token(staff_id or uuid.uuid4(), "staff", private_key=private_key, extra=extra))


def verifier_with_test_key() -> CallerVerifier:
    """What a service app assembled by hand in a test (its app.state.runtime) verifies tokens with."""
    return CallerVerifier(TEST_PUBLIC_KEY)
