"""The review's reproductions of path traversal through the gateway, sent byte for byte to a running stack."""

import json

import httpx
import pytest

from bench.verify.security.traversal import _send
from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.accounts_flow import active_account
from tests.e2e.conftest import Catalogue, db_counts


@pytest.mark.parametrize(
    "path",
    [
        "/api/establishments/%2e%2e/metrics",
        "/api/challenges/%2e%2e/openapi.json",
        "/api/establishments/%2E%2E/docs",
        "/api/establishments/..%2fmetrics",
        "/api/establishments//metrics",
    ],
)
def test_encoded_dot_segments_never_reach_a_services_internals(system: Supervisor, path: str):
    status, body = _send(system.config.url("gateway"), "GET", path, {}, None)
    assert status == 400, body
    assert json.loads(body)["errors"][0]["code"] == "path_not_canonical"


def test_a_double_encoded_climb_stays_inside_the_route(system: Supervisor):
    # Decoded once by the gateway to a literal `%2e%2e`; the upstream client must not decode it again.
    status, body = _send(system.config.url("gateway"), "GET", "/api/establishments/%252e%252e/metrics", {}, None)
    assert status == 404, body
    assert "# HELP" not in body


def test_a_citizen_cannot_book_through_a_climb_past_the_composed_booking(
    system: Supervisor, mail_sink: MailSink, catalogue: Catalogue
):
    with httpx.Client(base_url=system.config.url("gateway"), timeout=10) as client:
        headers = active_account(client, mail_sink, "traversal@example.org")
    forged = {
        "slot_id": str(catalogue.open_slot),
        "first_name": "Alice",
        "last_name": "Autre",
        "birth_date": "1950-01-01",
        "email": "alice@example.org",
    }
    sent = {"authorization": headers["authorization"], "content-type": "application/json"}
    before = run_sync(db_counts(system))["appointments"]
    for path in ("/api/appointments/%2e%2e/my/appointments", "/api/appointments/.%2E/my/appointments"):
        status, body = _send(system.config.url("gateway"), "POST", path, sent, json.dumps(forged).encode())
        assert status == 400, body
    assert run_sync(db_counts(system))["appointments"] == before
