"""The gateway decides who may call what; services trust only the identity it forwards."""

import httpx
import jwt
import pytest

from devstack.demo_data.accounts import CLERK, CLERK_EMAIL, CLERK_PASSWORD, load_demo_staff
from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import wait_until
from tests.e2e.clinic_staff import staff_sign_in


@pytest.fixture
def client(system: Supervisor):
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        yield client


def test_citizen_area_needs_a_login(client: httpx.Client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "login_required"


def test_a_forged_identity_header_is_not_an_identity(client: httpx.Client, system: Supervisor):
    response = client.get("/api/me", headers={"x-account-id": "00000000-0000-0000-0000-000000000001"})
    assert response.status_code == 401


def test_a_token_signed_with_another_key_is_refused(client: httpx.Client):
    from devstack.jwt_keys import generate_es256_keypair

    private, _ = generate_es256_keypair()
    forged = jwt.encode(
        {"sub": "00000000-0000-0000-0000-000000000001", "aud": "citizen", "iss": "accounts", "exp": 4102444800},
        private,
        algorithm="ES256",
    )
    response = client.get("/api/me", headers={"authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "session_expired"


def test_unsigned_token_is_refused(client: httpx.Client):
    unsigned = jwt.encode({"sub": "x", "aud": "citizen", "iss": "accounts"}, key=None, algorithm="none")
    assert client.get("/api/me", headers={"authorization": f"Bearer {unsigned}"}).status_code == 401


def test_a_staff_token_can_never_call_citizen_account_endpoints(client: httpx.Client, system: Supervisor):
    run_sync(load_demo_staff(system.config.database_urls["accounts"]))
    staff_token = staff_sign_in(client, CLERK_EMAIL, password=CLERK_PASSWORD, secret=CLERK.totp_secret)["access_token"]
    claims = jwt.decode(staff_token, options={"verify_signature": False})
    assert (claims["aud"], claims["role"]) == ("staff", "clerk")
    for method, path in (("GET", "/api/me"), ("GET", "/api/me/dependants"), ("POST", "/api/me/delete")):
        response = client.request(method, path, headers={"authorization": f"Bearer {staff_token}"}, json={})
        assert response.status_code == 403, (method, path, response.text)


def test_a_staff_email_cannot_register_a_citizen_account(client: httpx.Client, system: Supervisor, mail_sink: MailSink):
    run_sync(load_demo_staff(system.config.database_urls["accounts"]))
    response = client.post(
        "/api/registrations",
        json={
            "first_name": "Claire",
            "last_name": "Commis",
            "birth_date": "1990-01-01",
            "sex": "F",
            "email": CLERK_EMAIL.upper(),
            "password": "un matin de givre sur le fleuve",
        },
        headers={"accept-language": "fr"},
    )
    # Answered like any registration (which addresses are the staff's is nobody's business): the refusal
    # goes to the address's owner, and no citizen account is made.
    assert response.status_code == 202, response.text
    assert set(response.json()) == {"challenge_id", "channel", "sent_to", "warnings"}
    wait_until(lambda: any(CLERK_EMAIL in m.recipients for m in mail_sink.messages()), message="no staff notice")
    [notice] = [m for m in mail_sink.messages() if CLERK_EMAIL in m.recipients]
    assert "autre adresse" in notice.body
    assert "code" not in notice.subject.lower()
    login = client.post(
        "/api/sessions", json={"identifier": CLERK_EMAIL, "password": "un matin de givre sur le fleuve"}
    )
    assert login.status_code == 401


def test_wrong_passwords_slow_down_then_refuse_with_retry_time(client: httpx.Client, system: Supervisor):
    run_sync(load_demo_staff(system.config.database_urls["accounts"]))
    codes = [
        client.post(
            "/api/staff/sessions", json={"email": CLERK_EMAIL, "password": "not the password at all"}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 401]
    # The account is not locked: the right password still works (the limit per account is 5 tries), and leads to
    # the second factor.
    right = client.post("/api/staff/sessions", json={"email": CLERK_EMAIL, "password": CLERK_PASSWORD})
    assert right.status_code == 200, right.text
    assert right.json()["next"] == "totp"
