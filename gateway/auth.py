"""Who is calling: verifies the accounts service's ES256 access tokens with its public key only."""

import time
from dataclasses import dataclass, field

import jwt
from fastapi import Request
from starlette.requests import cookie_parser
from starlette.types import Scope

from gateway.session_cookies import SessionCookies
from gateway.session_revocations import SessionRevocations
from shared.errors import ApiError
from shared.request_context import LOGIN_REQUIRED

AUDIENCES = ("citizen", "staff")


@dataclass(frozen=True)
class Principal:
    subject: str
    audience: str
    establishment_id: str | None = None
    role: str | None = None
    # The verified access token itself: the services take identity only from it, checking its signature.
    token: str = field(default="", repr=False)

    def identity_headers(self) -> dict[str, str]:
        """What tells a service who calls: the token, whether it came as a header or the session cookie."""
        return {"authorization": f"Bearer {self.token}"}


SESSION_EXPIRED = ApiError(
    401,
    "session_expired",
    None,
    "Votre session a expiré, connectez-vous de nouveau.",
    "Your session expired, please log in again.",
)
FORBIDDEN = ApiError(
    403,
    "forbidden",
    None,
    "Cet espace n'est pas accessible avec ce compte.",
    "This area is not available to this account.",
)


class TokenVerifier:
    """Verifies each distinct token once, then answers from memory until the token expires.

    An ES256 signature check costs more CPU than the rest of a proxied request; a signed-in citizen
    sends the same token on every call. The cache holds only tokens whose signature verified, and
    each hit re-checks the expiry, so a cached token never outlives the `exp` it was signed with.

    Every use, cached or not, also asks `revocations` whether the token's session ended (a logout, a password
    change...: gateway/session_revocations.py): one dictionary lookup per key, none while nothing was revoked.
    """

    CACHE_SIZE = 10_000

    def __init__(
        self,
        public_key_pem: str,
        revocations: SessionRevocations | None = None,
        access_cookie: str = SessionCookies(secure=True).citizen_access,
    ) -> None:
        self._key = public_key_pem
        self._revocations = revocations or SessionRevocations(memory_seconds=3600)
        self._access_cookie = access_cookie
        # token -> (principal, exp, iat, sid)
        self._verified: dict[str, tuple[Principal, float, float, str | None]] = {}

    def principal(self, request: Request) -> Principal | None:
        """The caller, or None when no token was presented; raises when a token is bad or expired."""
        return self.principal_in(request.scope)

    def principal_in(self, scope: Scope) -> Principal | None:
        """As `principal`, from the ASGI scope: the gateway's fast path builds no Request object."""
        authorization: str | None = None
        cookie: str | None = None
        # The first of each header, as Request.headers.get() and Request.cookies take it.
        for name, value in scope["headers"]:
            if name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == b"cookie" and cookie is None:
                cookie = value.decode("latin-1")
        if authorization is not None and authorization.lower().startswith("bearer "):
            token: str | None = authorization[7:]
        else:
            token = cookie_parser(cookie).get(self._access_cookie) if cookie else None
        return self.from_token(token) if token else None

    def from_token(self, token: str) -> Principal:
        if not self._key:
            raise SESSION_EXPIRED
        cached = self._verified.get(token)
        if cached is not None:
            principal, expires_at, issued_at, session = cached
            if time.time() < expires_at:
                if self._revocations.refuses(principal.subject, session, issued_at):
                    raise SESSION_EXPIRED
                return principal
            del self._verified[token]
        try:
            claims = jwt.decode(token, self._key, algorithms=["ES256"], audience=AUDIENCES, issuer="accounts")
        except jwt.PyJWTError:
            raise SESSION_EXPIRED from None
        principal = Principal(claims["sub"], claims["aud"], claims.get("est"), claims.get("role"), token)
        issued_at, session = float(claims.get("iat", 0)), claims.get("sid")
        if self._revocations.refuses(principal.subject, session, issued_at):
            raise SESSION_EXPIRED
        if "exp" in claims:
            if len(self._verified) >= self.CACHE_SIZE:
                del self._verified[next(iter(self._verified))]  # the oldest entry: dicts keep insertion order
            self._verified[token] = (principal, float(claims["exp"]), issued_at, session)
        return principal


STAFF_CANNOT_REGISTER = ApiError(
    403,
    "staff_cannot_register",
    None,
    "Un membre du personnel ne peut pas ouvrir un compte citoyen : déconnectez-vous de la console d'abord.",
    "A staff member cannot open a citizen account: sign out of the console first.",
)


def require(principal: Principal | None, audience: str) -> None:
    """Public routes take anyone; citizen and staff routes only their own kind of token; `not_staff` routes
    anyone but staff (opening a citizen account is the citizen's own act, never an institution's)."""
    if audience == "public":
        return
    if audience == "not_staff":
        if principal is not None and principal.audience == "staff":
            raise STAFF_CANNOT_REGISTER
        return
    if principal is None:
        raise LOGIN_REQUIRED
    if principal.audience != audience:
        raise FORBIDDEN
