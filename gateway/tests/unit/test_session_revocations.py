"""The verifier refuses the tokens of ended sessions at once, cached or not (issue 18, finding 9)."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from devstack.jwt_keys import generate_es256_keypair
from gateway.auth import TokenVerifier
from gateway.session_revocations import SessionRevocations
from services.accounts.sessions.rules import issue_access_token
from shared.contracts.accounts import SessionsRevoked
from shared.errors import ApiError

PRIVATE, PUBLIC = generate_es256_keypair()


def _token(subject: uuid.UUID, session: uuid.UUID, issued: datetime | None = None) -> str:
    if issued is None:
        return issue_access_token(PRIVATE, subject, "citizen", 15, {"sid": str(session)})
    claims = {"iss": "accounts", "sub": str(subject), "aud": "citizen", "sid": str(session)}
    claims |= {"iat": issued, "exp": issued + timedelta(minutes=15)}
    return jwt.encode(claims, PRIVATE, algorithm="ES256")


def _refused(verifier: TokenVerifier, token: str) -> bool:
    try:
        verifier.from_token(token)
    except ApiError as refusal:
        return refusal.status == 401
    return False


def test_a_logout_refuses_every_token_of_that_session_even_cached_and_no_other() -> None:
    revocations = SessionRevocations(memory_seconds=3600)
    verifier = TokenVerifier(PUBLIC, revocations)
    subject, session, other_session = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    cached, later, elsewhere = _token(subject, session), _token(subject, session), _token(subject, other_session)
    assert not _refused(verifier, cached)  # now in the cache

    revocations.add(
        SessionsRevoked(subject_id=subject, session_ids=[session], every_session=False, revoked_at=datetime.now(UTC))
    )

    assert _refused(verifier, cached)
    assert _refused(verifier, later)
    assert not _refused(verifier, elsewhere)


def test_every_session_ended_refuses_earlier_seconds_but_not_a_login_in_the_same_second() -> None:
    revocations = SessionRevocations(memory_seconds=3600)
    verifier = TokenVerifier(PUBLIC, revocations)
    subject, session = uuid.uuid4(), uuid.uuid4()
    revoked_at = datetime.now(UTC).replace(microsecond=500_000)
    before = _token(subject, session, revoked_at - timedelta(seconds=2))
    unknown_session_before = _token(subject, uuid.uuid4(), revoked_at - timedelta(seconds=1))
    new_login_same_second = _token(subject, uuid.uuid4(), revoked_at.replace(microsecond=900_000))
    someone_else = _token(uuid.uuid4(), uuid.uuid4(), revoked_at - timedelta(seconds=2))

    revocations.add(
        SessionsRevoked(subject_id=subject, session_ids=[session], every_session=True, revoked_at=revoked_at)
    )

    assert _refused(verifier, before)
    assert _refused(verifier, unknown_session_before)  # a session the event did not list: by `iat`
    assert not _refused(verifier, new_login_same_second)
    assert not _refused(verifier, someone_else)


def test_revocations_are_forgotten_once_their_tokens_expired_anyway(monkeypatch: pytest.MonkeyPatch) -> None:
    revocations = SessionRevocations(memory_seconds=60)
    old = datetime.now(UTC) - timedelta(seconds=120)
    revocations.add(
        SessionsRevoked(subject_id=uuid.uuid4(), session_ids=[uuid.uuid4()], every_session=True, revoked_at=old)
    )
    fresh = uuid.uuid4()
    revocations.add(SessionsRevoked(subject_id=fresh, session_ids=[], every_session=True, revoked_at=datetime.now(UTC)))
    assert list(revocations.cutoffs) == [str(fresh)]
    assert not revocations.refuses(str(uuid.uuid4()), None, time.time())
