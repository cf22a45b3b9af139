"""Past the gateway, straight to a service's port, with the X-Client-Ip header the per-address limits count by
left out, filled with rotating garbage, or rotated through the addresses of one IPv6 /64 (issue 18, follow-up
on findings 3 and 6).

Before, appointments counted no booking without the header, and both services took each value as a fresh
address: an IPv6 subscriber, or anything reaching the port, drew a fresh allowance for every try. Each
sequence below must be refused with 429 after at most the limit of one address: bookings without an account
(120 an hour) and wrong passwords (30 per address in 15 minutes; a new unknown identifier each time, so only
the address limit can refuse).

The bookings go to a slot of their own, so the capacity of the slots other checks book is untouched.
"""

import secrets
import uuid
from datetime import timedelta
from typing import Any

import httpx

from bench.verify.environment import VerifyEnvironment
from devstack.testing.fixtures import run_sync
from tests.e2e.conftest import _add_slot, booking

BOOKINGS_PER_SOURCE = 120  # an hour, without an account (APPOINTMENTS_ANONYMOUS_BOOKINGS_PER_SOURCE_PER_HOUR)
LOGIN_FAILURES_PER_ADDRESS = 30  # ACCOUNTS_IP_FAILURES_BEFORE_DELAY
BEYOND = 5  # tries past the limit
WRONG_PASSWORD = "pas le bon mot de passe du tout"


def probe(env: VerifyEnvironment) -> dict[str, Any]:
    slot = run_sync(
        _add_slot(
            env.database_urls["appointments"],
            env.clinics[0].catalogue.service_id,
            env.clinics[0].catalogue.open_slot_starts_at + timedelta(hours=2),
            2 * (BOOKINGS_PER_SOURCE + BEYOND) + 10,
        )
    )
    results = {
        "bookings_without_a_readable_address": _bookings(env, slot, _unreadable(BOOKINGS_PER_SOURCE + BEYOND)),
        "bookings_rotating_through_one_ipv6_64": _bookings(env, slot, _one_slash_64(BOOKINGS_PER_SOURCE + BEYOND)),
        "logins_without_a_readable_address": _logins(env, _unreadable(LOGIN_FAILURES_PER_ADDRESS + BEYOND)),
        "logins_rotating_through_one_ipv6_64": _logins(env, _one_slash_64(LOGIN_FAILURES_PER_ADDRESS + BEYOND)),
    }
    return {"passed": all(result["passed"] for result in results.values()), **results}


def _unreadable(count: int) -> list[str | None]:
    """Left out, empty, and values that are no address, each one new."""
    choices: list[str | None] = [None, "", "unknown", "not-an-address", "203.0.113.300", "2001:db8::/64"]
    return [choices[n] if n < len(choices) else f"garbage-{n}-{uuid.uuid4().hex[:6]}" for n in range(count)]


def _one_slash_64(count: int) -> list[str | None]:
    """A fresh /64 for this run, then a new address of it for every try."""
    network = f"2001:db8:{secrets.randbits(16):x}:{secrets.randbits(16):x}"
    return [f"{network}:{secrets.randbits(16):x}:{n:x}::{secrets.randbits(16):x}" for n in range(count)]


def _headers(source: str | None) -> dict[str, str]:
    return {} if source is None else {"X-Client-Ip": source}


def _error_code(answer: httpx.Response) -> str:
    try:
        return answer.json()["errors"][0]["code"]
    except (ValueError, KeyError, IndexError, TypeError):
        return f"http_{answer.status_code}"


def _verdict(statuses: list[str], accepted_status: str, limit: int) -> dict[str, Any]:
    accepted = statuses.count(accepted_status)
    refused = [status for status in statuses if status != accepted_status]
    return {
        "tried": len(statuses),
        "accepted": accepted,
        "limit_required": limit,
        "refusals": sorted(set(refused)),
        "passed": accepted <= limit and bool(refused) and all(status.startswith("429") for status in refused),
    }


def _bookings(env: VerifyEnvironment, slot: uuid.UUID, sources: list[str | None]) -> dict[str, Any]:
    statuses: list[str] = []
    with httpx.Client(base_url=env.stack.config.url("appointments"), timeout=15) as client:
        for n, source in enumerate(sources):
            headers = _headers(source)
            if n % 2:  # FastAPI's route; without the key, the service's pure-ASGI fast path
                headers["Idempotency-Key"] = uuid.uuid4().hex
            made = client.post("/appointments", json=booking(slot), headers=headers)
            statuses.append("201" if made.status_code == 201 else f"{made.status_code} {_error_code(made)}")
            if made.status_code == 201:
                env.secrets.add(made.json()["manage_token"])
    return _verdict(statuses, "201", BOOKINGS_PER_SOURCE)


def _logins(env: VerifyEnvironment, sources: list[str | None]) -> dict[str, Any]:
    statuses: list[str] = []
    with httpx.Client(base_url=env.stack.config.url("accounts"), timeout=30) as client:
        for source in sources:
            nobody = f"personne.{uuid.uuid4().hex[:10]}@example.org"
            tried = client.post(
                "/sessions", json={"identifier": nobody, "password": WRONG_PASSWORD}, headers=_headers(source)
            )
            statuses.append("401" if tried.status_code == 401 else f"{tried.status_code} {_error_code(tried)}")
    return _verdict(statuses, "401", LOGIN_FAILURES_PER_ADDRESS)
