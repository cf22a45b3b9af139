"""Staff sign-in through the gateway (issue 21): the password alone opens nothing, a code works once, and a person
working at two establishments acts at neither until choosing one."""

import uuid

import httpx
import jwt
import pytest

from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.clinic_staff import STAFF_PASSWORD, add_staff, code_at, current_step, staff_sign_in, totp_secret_for
from tests.e2e.conftest import Catalogue, _insert_catalogue


@pytest.fixture
def client(system: Supervisor):
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        yield client


def _appointments(client: httpx.Client, establishment_id: uuid.UUID, token: str) -> int:
    answer = client.get(
        f"/api/admin/establishments/{establishment_id}/appointments",
        headers={"authorization": f"Bearer {token}"},
    )
    return answer.status_code


def test_the_password_alone_opens_nothing_and_a_code_works_once(
    client: httpx.Client, system: Supervisor, catalogue: Catalogue
):
    email = f"commis.{uuid.uuid4().hex[:6]}@clinique.example"
    run_sync(add_staff(system.config.database_urls["accounts"], catalogue.establishment_id, email, "clerk"))

    step = client.post("/api/staff/sessions", json={"email": email, "password": STAFF_PASSWORD})
    assert step.status_code == 200, step.text
    assert set(step.json()) == {"next", "challenge", "expires_in", "enrolment"}
    assert step.json()["next"] == "totp"
    # The challenge is no bearer token.
    assert _appointments(client, catalogue.establishment_id, step.json()["challenge"]) == 401

    code = code_at(totp_secret_for(email), current_step())
    signed = client.post("/api/staff/sessions/totp", json={"challenge": step.json()["challenge"], "code": code})
    assert signed.status_code == 200, signed.text
    assert signed.json()["establishment_id"] == str(catalogue.establishment_id)
    assert _appointments(client, catalogue.establishment_id, signed.json()["access_token"]) == 200

    again = client.post("/api/staff/sessions", json={"email": email, "password": STAFF_PASSWORD}).json()
    replayed = client.post(
        "/api/staff/sessions/totp",
        json={"challenge": again["challenge"], "code": code},
        headers={"accept-language": "en"},
    )
    assert replayed.status_code == 422, replayed.text
    assert replayed.json()["errors"][0]["code"] == "code_already_used"
    assert replayed.json()["errors"][0]["field"] == "code"


def test_a_person_of_two_establishments_chooses_one_before_acting(
    client: httpx.Client, system: Supervisor, catalogue: Catalogue
):
    other = run_sync(_insert_catalogue(system.config.database_urls["appointments"]))
    email = f"gestion.{uuid.uuid4().hex[:6]}@clinique.example"
    url = system.config.database_urls["accounts"]
    run_sync(add_staff(url, catalogue.establishment_id, email, "clerk"))
    run_sync(add_staff(url, other.establishment_id, email, "manager"))

    tokens = staff_sign_in(client, email)
    assert tokens["establishment_id"] is None
    assert {(r["establishment_id"], r["role"]) for r in tokens["roles"]} == {
        (str(catalogue.establishment_id), "clerk"),
        (str(other.establishment_id), "manager"),
    }
    for establishment in (catalogue.establishment_id, other.establishment_id):
        assert _appointments(client, establishment, tokens["access_token"]) in (403, 404)

    chosen = client.post(
        "/api/staff/sessions/establishment",
        json={"establishment_id": str(other.establishment_id), "refresh_token": tokens["refresh_token"]},
        headers={"authorization": f"Bearer {tokens['access_token']}"},
    )
    assert chosen.status_code == 200, chosen.text
    claims = jwt.decode(chosen.json()["access_token"], options={"verify_signature": False})
    assert (claims["est"], claims["role"]) == (str(other.establishment_id), "manager")
    assert _appointments(client, other.establishment_id, chosen.json()["access_token"]) == 200
    assert _appointments(client, catalogue.establishment_id, chosen.json()["access_token"]) in (403, 404)
    # The refresh token presented was rotated: presented again, it is refused (and, as a copy, ends the session).
    assert client.post("/api/sessions/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
