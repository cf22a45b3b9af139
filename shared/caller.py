"""Who is calling a service: the accounts service's ES256 access token, forwarded by the gateway, verified
again here with the public key.

A service never believes a plain header about identity: anything that reaches its port (another pod, a
port-forward, a compromised neighbour) could set one. The signature proves accounts issued the token and
its claims say who it is for. Each distinct token is verified once and then answered from memory until it
expires, as the gateway's TokenVerifier does: a citizen sends the same token on every call, and an ES256
check costs more CPU than the rest of a small request.

`check` is a hook every use of a token passes through, cached or not (e.g. a per-account "valid after"
that revokes tokens issued before a logout): it returns False to refuse the token.
"""

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared.errors import ApiError

ALGORITHM = "ES256"
ISSUER = "accounts"
AUDIENCES = ("citizen", "staff")

LOGIN_REQUIRED = ApiError(401, "login_required", None, "Connectez-vous d'abord.", "Please log in first.")

Claims = Mapping[str, Any]
ClaimsCheck = Callable[[Claims], bool]


@dataclass(frozen=True)
class Caller:
    """A verified token's holder: a citizen account, or a staff member of one establishment."""

    subject: uuid.UUID
    audience: str
    establishment_id: uuid.UUID | None
    role: str
    claims: Claims


class UnverifiedCaller(Exception):  # noqa: N818 - reads better at the raise site
    """No token, a token this key did not sign, an expired or malformed one, or one the check refused."""


def public_key_of(private_key_pem: str) -> str:
    """The PEM public key of an ES256 private key: what accounts verifies its own tokens with."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the token signing key is not an EC (ES256) key")
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def bearer_token(authorization: str | None) -> str | None:
    if authorization is None or authorization[:7].lower() != "bearer ":
        return None
    return authorization[7:].strip() or None


def _caller(claims: Claims) -> Caller:
    try:
        subject = uuid.UUID(str(claims["sub"]))
        audience = str(claims["aud"])
        establishment = claims.get("est")
        establishment_id = uuid.UUID(str(establishment)) if establishment else None
    except (KeyError, ValueError):
        raise UnverifiedCaller from None
    return Caller(subject, audience, establishment_id, str(claims.get("role") or "").strip().lower(), claims)


class CallerVerifier:
    CACHE_SIZE = 10_000

    def __init__(self, public_key_pem: str, check: ClaimsCheck | None = None) -> None:
        self._key = _load_public_key(public_key_pem)
        self._check = check
        self._verified: dict[str, tuple[Caller, float]] = {}

    def caller(self, authorization: str | None) -> Caller:
        """The verified holder of an `Authorization: Bearer` header; raises UnverifiedCaller otherwise."""
        token = bearer_token(authorization)
        if token is None or self._key is None:
            raise UnverifiedCaller
        cached = self._verified.get(token)
        if cached is not None and time.time() < cached[1]:
            caller = cached[0]
        else:
            if cached is not None:
                del self._verified[token]
            caller = self._verify(token, self._key)
        if self._check is not None and not self._check(caller.claims):
            raise UnverifiedCaller
        return caller

    def _verify(self, token: str, key: ec.EllipticCurvePublicKey) -> Caller:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCES,
                issuer=ISSUER,
                options={"require": ["exp", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError:
            raise UnverifiedCaller from None
        caller = _caller(claims)
        if len(self._verified) >= self.CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # the oldest entry: dicts keep insertion order
        self._verified[token] = (caller, float(claims["exp"]))
        return caller


def _load_public_key(public_key_pem: str) -> ec.EllipticCurvePublicKey | None:
    """Parsed once (PyJWT given the PEM would parse it for every token); no key refuses every token."""
    if not public_key_pem.strip():
        return None
    key = serialization.load_pem_public_key(public_key_pem.encode())
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("the token verification key is not an EC (ES256) public key")
    return key
