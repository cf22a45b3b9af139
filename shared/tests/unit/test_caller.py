"""A service takes who is calling only from a token accounts signed (shared/caller.py), never from a header."""

import uuid

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from devstack.jwt_keys import generate_es256_keypair
from devstack.testing.tokens import (
    TEST_PRIVATE_KEY,
    TEST_PUBLIC_KEY,
    access_token,
    bearer,
    citizen_headers,
    staff_headers,
)
from shared.caller import CallerVerifier, UnverifiedCaller, public_key_of
from shared.errors import install_error_handlers
from shared.request_context import Citizen, OptionalCitizen, StaffMember
from shared.staff import EstablishmentNotFound, Staff

FOREIGN_PRIVATE_KEY, _ = generate_es256_keypair()
ACCOUNT = uuid.uuid4()
HERE = uuid.uuid4()


def test_a_token_signed_by_accounts_names_its_holder() -> None:
    caller = CallerVerifier(TEST_PUBLIC_KEY).caller(f"Bearer {access_token(ACCOUNT, 'citizen')}")
    assert (caller.subject, caller.audience, caller.establishment_id) == (ACCOUNT, "citizen", None)
    staff = CallerVerifier(TEST_PUBLIC_KEY).caller(staff_headers(HERE, "Manager", ACCOUNT)["Authorization"])
    assert (staff.subject, staff.audience, staff.establishment_id, staff.role) == (ACCOUNT, "staff", HERE, "manager")


def test_a_staff_token_without_an_establishment_acts_nowhere() -> None:
    """An operator's token, or one before its holder chose among several establishments, names none: it is a
    caller, but no establishment's staff (shared.staff.Staff.authorise refuses it every one)."""
    caller = CallerVerifier(TEST_PUBLIC_KEY).caller(f"Bearer {access_token(ACCOUNT, 'staff')}")
    assert (caller.audience, caller.establishment_id) == ("staff", None)
    with pytest.raises(EstablishmentNotFound):
        Staff(caller.subject, caller.establishment_id, caller.role).authorise(HERE)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-token",
        f"Bearer {access_token(ACCOUNT, 'citizen', private_key=FOREIGN_PRIVATE_KEY)}",  # another key signed it
        f"Bearer {access_token(ACCOUNT, 'citizen', minutes=-1)}",  # expired
        f"Bearer {access_token(ACCOUNT, 'operator')}",  # an audience no service serves
        f"Bearer {access_token('not-a-uuid', 'citizen')}",
        f"Bearer {jwt.encode({'iss': 'elsewhere', 'sub': str(ACCOUNT), 'aud': 'citizen', 'exp': 4102444800}, TEST_PRIVATE_KEY, algorithm='ES256')}",  # noqa: E501
        f"Bearer {jwt.encode({'iss': 'accounts', 'sub': str(ACCOUNT), 'aud': 'citizen'}, TEST_PRIVATE_KEY, algorithm='ES256')}",  # noqa: E501 - no exp
        f"Bearer {jwt.encode({'iss': 'accounts', 'sub': str(ACCOUNT), 'aud': 'citizen', 'exp': 4102444800}, 'x' * 32, algorithm='HS256')}",  # noqa: E501
        f"Bearer {jwt.encode({'iss': 'accounts', 'sub': str(ACCOUNT), 'aud': 'citizen', 'exp': 4102444800}, None, algorithm='none')}",  # noqa: E501
    ],
)
def test_anything_but_a_valid_token_is_refused(authorization: str | None) -> None:
    with pytest.raises(UnverifiedCaller):
        CallerVerifier(TEST_PUBLIC_KEY).caller(authorization)


def test_without_a_key_every_token_is_refused() -> None:
    with pytest.raises(UnverifiedCaller):
        CallerVerifier("").caller(citizen_headers(ACCOUNT)["Authorization"])


def test_accounts_verifies_with_the_public_half_of_its_signing_key() -> None:
    private, public = generate_es256_keypair()
    assert public_key_of(private) == public


def test_a_verified_token_is_cached_and_the_hook_still_sees_every_use() -> None:
    seen: list[str] = []
    revoked: set[str] = set()

    def still_valid(claims: dict[str, object]) -> bool:
        seen.append(str(claims["jti"]))
        return claims["sub"] not in revoked

    verifier = CallerVerifier(TEST_PUBLIC_KEY, check=still_valid)
    authorization = citizen_headers(ACCOUNT)["Authorization"]
    assert verifier.caller(authorization).subject == verifier.caller(authorization).subject == ACCOUNT
    assert len(verifier._verified) == 1  # verified once
    assert len(seen) == 2
    revoked.add(str(ACCOUNT))  # e.g. a "valid after" moved past the token's iat
    with pytest.raises(UnverifiedCaller):
        verifier.caller(authorization)


def _service() -> TestClient:
    """Routes as a service declares them, with the shared dependencies and error handlers."""
    app = FastAPI()
    install_error_handlers(app)
    app.state.runtime = type("Runtime", (), {"callers": CallerVerifier(TEST_PUBLIC_KEY)})()

    @app.get("/me")
    async def me(account_id: Citizen) -> dict[str, str]:
        return {"id": str(account_id)}

    @app.get("/maybe")
    async def maybe(account_id: OptionalCitizen) -> dict[str, str | None]:
        return {"id": str(account_id) if account_id else None}

    @app.get("/admin")
    async def admin(member: StaffMember) -> dict[str, str]:
        return {"id": str(member.id), "establishment_id": str(member.establishment_id), "role": member.role}

    return TestClient(app)


def test_identity_headers_prove_nothing_to_a_service() -> None:
    client = _service()
    forged = {
        "X-Account-Id": str(ACCOUNT),
        "X-Staff-Id": str(ACCOUNT),
        "X-Establishment-Id": str(HERE),
        "X-Staff-Role": "manager",
    }
    for path in ("/me", "/admin"):
        refused = client.get(path, headers=forged)
        assert refused.status_code == 401, path
        assert refused.json()["errors"][0]["code"] == "login_required"
        foreign = client.get(path, headers=citizen_headers(ACCOUNT, private_key=FOREIGN_PRIVATE_KEY))
        assert foreign.status_code == 401, path
    assert client.get("/maybe", headers=forged).json() == {"id": None}
    assert client.get("/maybe", headers=bearer("forged")).status_code == 401


def test_each_kind_of_token_opens_its_own_routes_only() -> None:
    client = _service()
    assert client.get("/me", headers=citizen_headers(ACCOUNT)).json() == {"id": str(ACCOUNT)}
    assert client.get("/maybe", headers=citizen_headers(ACCOUNT)).json() == {"id": str(ACCOUNT)}
    staff = staff_headers(HERE, "clerk", ACCOUNT)
    assert client.get("/admin", headers=staff).json() == {
        "id": str(ACCOUNT),
        "establishment_id": str(HERE),
        "role": "clerk",
    }
    assert client.get("/me", headers=staff).status_code == 403
    assert client.get("/maybe", headers=staff).json() == {"id": None}
    assert client.get("/admin", headers=citizen_headers(ACCOUNT)).status_code == 403
