"""The verifier's cache: a token is verified once, and a cached token still expires on time."""

import time
import uuid

import jwt
import pytest

from devstack.jwt_keys import generate_es256_keypair
from gateway.auth import TokenVerifier
from services.accounts.sessions.rules import issue_access_token
from shared.errors import ApiError

PRIVATE, PUBLIC = generate_es256_keypair()


def test_a_token_is_verified_once_then_answered_from_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = TokenVerifier(PUBLIC)
    subject = uuid.uuid4()
    token = issue_access_token(PRIVATE, subject, "citizen", 15)
    decodes: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: object, **kwargs: object) -> object:
        decodes.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr("gateway.auth.jwt.decode", counting_decode)

    first, second = verifier.from_token(token), verifier.from_token(token)

    assert first == second
    assert (first.subject, first.audience) == (str(subject), "citizen")
    assert len(decodes) == 1


def test_a_cached_token_is_refused_once_expired() -> None:
    verifier = TokenVerifier(PUBLIC)
    now = int(time.time())
    claims = {"iss": "accounts", "sub": str(uuid.uuid4()), "aud": "citizen", "iat": now, "exp": now + 1}
    token = jwt.encode(claims, PRIVATE, algorithm="ES256")
    verifier.from_token(token)  # cached while valid
    time.sleep(max(0.0, now + 1.1 - time.time()))

    with pytest.raises(ApiError) as refused:
        verifier.from_token(token)
    assert refused.value.code == "session_expired"


def test_a_bad_signature_is_never_cached() -> None:
    verifier = TokenVerifier(PUBLIC)
    other_private, _ = generate_es256_keypair()
    forged = issue_access_token(other_private, uuid.uuid4(), "citizen", 15)
    for _ in range(2):
        with pytest.raises(ApiError):
            verifier.from_token(forged)


def test_the_token_is_read_from_the_first_authorization_header_or_else_the_cookie() -> None:
    verifier = TokenVerifier(PUBLIC)
    first, second = (issue_access_token(PRIVATE, uuid.uuid4(), "citizen", 15) for _ in range(2))

    def scope(*headers: tuple[bytes, bytes]) -> dict[str, object]:
        return {"type": "http", "headers": list(headers)}

    bearer = scope((b"authorization", f"BEARER {first}".encode()), (b"authorization", f"Bearer {second}".encode()))
    assert verifier.principal_in(bearer) == verifier.from_token(first)
    # The portal's cookie, by its default (Secure, __Host-) name; the plain name is not read then.
    cookie = scope((b"cookie", f"lang=fr; __Host-access_token={second}".encode()))
    assert verifier.principal_in(cookie) == verifier.from_token(second)
    assert verifier.principal_in(scope((b"cookie", f"access_token={second}".encode()))) is None
    plain = TokenVerifier(PUBLIC, access_cookie="access_token")  # GATEWAY_INSECURE_COOKIES, over plain HTTP
    assert plain.principal_in(scope((b"cookie", f"access_token={second}".encode()))) == plain.from_token(second)
    assert verifier.principal_in(scope((b"authorization", b"Basic abc"))) is None
    assert verifier.principal_in(scope()) is None
