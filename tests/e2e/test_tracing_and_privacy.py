"""One correlation id from the gateway to the consumer's logs; secrets never reach a log line."""

import time

import asyncpg
import httpx

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from tests.e2e.conftest import Catalogue, booking


async def _outbox_correlation(url: str) -> str:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return await conn.fetchval("SELECT correlation_id FROM outbox ORDER BY id DESC LIMIT 1")
    finally:
        await conn.close()


def test_correlation_id_follows_the_booking_into_the_event_and_the_consumer_logs(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink
):
    correlation_id = f"trace-{time.time_ns()}"
    response = httpx.post(
        f"{system.config.url('gateway')}/api/appointments",
        json=booking(catalogue.open_slot),
        headers={"x-correlation-id": correlation_id},
    )
    assert response.status_code == 201
    assert response.headers["x-correlation-id"] == correlation_id
    assert run_sync(_outbox_correlation(system.config.database_urls["appointments"])) == correlation_id
    mail_sink.wait_for(1)
    time.sleep(0.3)
    consumer_lines = [line for line in system.log_text("notifications").splitlines() if correlation_id in line]
    assert any('"event_applied"' in line for line in consumer_lines)


def test_tokens_and_contact_details_never_reach_the_logs(system: Supervisor, catalogue: Catalogue, mail_sink: MailSink):
    email = f"secret.person.{time.time_ns()}@example.org"
    response = httpx.post(
        f"{system.config.url('gateway')}/api/appointments", json=booking(catalogue.open_slot, email=email)
    )
    assert response.status_code == 201
    token = response.json()["manage_token"]
    mail_sink.wait_for(1)
    time.sleep(0.3)
    for name in ("gateway", "appointments", "notifications"):
        log = system.log_text(name)
        assert log, f"{name} wrote no log at all"
        assert token not in log
        assert email not in log
