"""Past the gateway, straight to each service's port, as a pod of the cluster (or anything else that reaches
it) could: identity headers naming a citizen or a clinic's manager, tokens of the right shape signed by a key
that is not accounts' (and unsigned, and HMAC-signed with the public key), a genuine staff token on citizen
routes, and /metrics on every API port.

Every attempt must be refused (401 or 403; for /metrics, anything but the exposition). A control first
checks that the service answers a genuine token, so that refusals are not merely a service that is down.
"""

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from bench.verify.environment import VerifyEnvironment
from devstack.jwt_keys import generate_es256_keypair

REFUSED = frozenset({401, 403})
SERVICES = ("accounts", "appointments", "verification", "notifications")
CITIZEN_PATHS = {
    "accounts": ["/me", "/me/booking-form", "/me/dependants"],
    "appointments": ["/my/appointments", "/my/history"],
    "verification": ["/my/association-requests"],
}


def staff_paths(establishment: uuid.UUID, account_id: str) -> dict[str, list[str]]:
    base = f"/admin/establishments/{establishment}"
    return {
        "appointments": [f"{base}/appointments", f"{base}/services", f"{base}/schedules"],
        "verification": [f"{base}/audit", f"{base}/verification-states?account_ids={account_id}"],
    }


def _claims(subject: str, audience: str, **extra: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "iss": "accounts",
        "sub": subject,
        "aud": audience,
        "iat": now,
        "exp": now + timedelta(minutes=10),
        "jti": uuid.uuid4().hex,
        **extra,
    }


def _hmac_with_public_key(claims: dict[str, Any], public_pem: str) -> str:
    """The algorithm confusion attack: HS256 keyed with the verifier's public key (PyJWT refuses to make one)."""

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, default=lambda v: int(v.timestamp())).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}"
    signature = hmac.new(public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def forged_tokens(account_id: str, establishment: uuid.UUID, public_pem: str) -> dict[str, dict[str, dict[str, str]]]:
    """Audience -> name -> Authorization header of a token nobody at accounts signed."""
    foreign_key, _ = generate_es256_keypair()
    claims = {
        "citizen": _claims(account_id, "citizen"),
        "staff": _claims(str(uuid.uuid4()), "staff", est=str(establishment), role="manager"),
    }
    return {
        audience: {
            "token signed by a foreign key": f"Bearer {jwt.encode(body, foreign_key, algorithm='ES256')}",
            "unsigned token (alg none)": f"Bearer {jwt.encode(body, None, algorithm='none')}",
            "token HMAC-signed with the public key": f"Bearer {_hmac_with_public_key(body, public_pem)}",
        }
        for audience, body in claims.items()
    }


def probe(env: VerifyEnvironment) -> dict[str, Any]:
    citizen = env.new_citizen()
    clinic = env.clinics[0]
    establishment = clinic.catalogue.establishment_id
    staff_token = env.staff_headers(clinic.manager_email)
    config = env.stack.config
    public_pem = config.jwt_keys[1]
    as_citizen = {"x-account-id": citizen.account_id}
    as_staff = {
        "x-staff-id": str(uuid.uuid4()),
        "x-establishment-id": str(establishment),
        "x-staff-role": "manager",
    }
    tokens = forged_tokens(citizen.account_id, establishment, public_pem)
    attempts: list[tuple[str, str, str, dict[str, str]]] = []  # (service, path, what, headers)
    for service, paths in CITIZEN_PATHS.items():
        for path in paths:
            attempts.append((service, path, "forged X-Account-Id", as_citizen))
            attempts += [
                (service, path, f"citizen {name}", {"authorization": t}) for name, t in tokens["citizen"].items()
            ]
            attempts.append((service, path, "genuine staff token on a citizen route", staff_token))
    for service, paths in staff_paths(establishment, citizen.account_id).items():
        for path in paths:
            attempts.append((service, path, "forged X-Staff-Id/X-Establishment-Id/X-Staff-Role", as_staff))
            attempts += [(service, path, f"staff {name}", {"authorization": t}) for name, t in tokens["staff"].items()]

    got_through: list[str] = []
    statuses: dict[int, int] = {}
    controls: dict[str, int] = {}
    with httpx.Client(timeout=15) as client:
        # Controls: each service answers the genuine token, so refusals below are the verification at work.
        controls["accounts /me with the citizen's own token"] = client.get(
            config.url("accounts") + "/me", headers={"authorization": citizen.headers["authorization"]}
        ).status_code
        controls["appointments staff route with the manager's own token"] = client.get(
            config.url("appointments") + f"/admin/establishments/{establishment}/services", headers=staff_token
        ).status_code
        for service, path, what, headers in attempts:
            answer = client.get(config.url(service) + path, headers=headers)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            leaked = citizen.nam in answer.text or citizen.email in answer.text
            if answer.status_code not in REFUSED or leaked:
                got_through.append(f"{service} {path} with {what} -> {answer.status_code}")
        metrics_on_api_port: dict[str, int] = {}
        for name in ("gateway", *SERVICES):
            answer = client.get(config.url(name) + "/metrics")
            metrics_on_api_port[name] = answer.status_code
            if answer.status_code == 200 or "# HELP" in answer.text:
                got_through.append(f"{name} GET /metrics on its API port -> {answer.status_code}")
    controls_ok = all(status == 200 for status in controls.values())
    return {
        "passed": controls_ok and not got_through and len(attempts) > 0,
        "attempts": len(attempts) + len(metrics_on_api_port),
        "tried": [*sorted({what for _, _, what, _ in attempts}), "GET /metrics on each API port"],
        "services": list(SERVICES),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "metrics_on_api_port": metrics_on_api_port,
        "controls": controls,
        "got_through": got_through[:50],
    }
