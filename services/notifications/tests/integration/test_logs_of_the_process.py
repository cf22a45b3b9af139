"""The service as it runs in production (its own process, JSON log lines on stdout): neither a code
nor an erased person's address or phone number ever reaches its log, failures included."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from devstack.testing.fixtures import free_port
from services.notifications.settings import NotificationsSettings
from services.notifications.tests.integration.conftest import eventually, fetch
from services.notifications.tests.integration.test_verification_codes import code_issued
from shared.contracts.accounts import AccountDeleted, RegistrationAttemptedOnExistingAccount

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def service_process(settings: NotificationsSettings, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port, log_path = free_port(), tmp_path / "notifications.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NOTIFICATIONS_ENVIRONMENT": "test",
        "NOTIFICATIONS_DATABASE_URL": settings.database_url,
        "NOTIFICATIONS_AMQP_URL": settings.amqp_url,
        "NOTIFICATIONS_BUS_NAMESPACE": settings.bus_namespace,
        "NOTIFICATIONS_SMTP_PORT": str(settings.smtp_port),
        "NOTIFICATIONS_SMS_PROVIDER_URL": settings.sms_provider_url,
        "NOTIFICATIONS_SMS_PROVIDER_TOKEN": settings.sms_provider_token.get_secret_value(),
        "NOTIFICATIONS_LOG_LEVEL": "DEBUG",  # the most talkative it can be
    }
    command = [
        sys.executable, "-m", "uvicorn", "services.notifications.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield f"http://127.0.0.1:{port}", log_path
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


async def test_codes_and_erased_contacts_never_reach_the_log(
    service_process, publish, settings, mail_sink: MailSink, sms_sink: SmsSink
):
    url, log_path = service_process

    async def ready() -> bool:
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"{url}/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(ready, timeout=30)
    email, phone = "Camille.Roy@example.org", "+15145550199"
    sms_sink.fail_next(1)  # one failed inline send: the error path logs a traceback
    await publish(code_issued("sms", phone, "en", "314159"))
    await publish(code_issued("email", email, "fr", "271828"))
    await publish(RegistrationAttemptedOnExistingAccount(channel="email", destination=email, language="fr"))
    await eventually(lambda: len(sms_sink.messages()) == 1 and len(mail_sink.messages()) == 2, timeout=20)
    await publish(AccountDeleted(account_id=uuid.uuid4(), dependant_ids=[], email=email, phone=phone, language="fr"))
    await eventually(lambda: len(mail_sink.messages()) == 3)

    async def settled() -> bool:
        rows = await fetch(settings.database_url, "SELECT 1 FROM deliveries WHERE status = 'sent'")
        return len(rows) == 4

    await eventually(settled)
    await asyncio.sleep(0.5)  # lets the last log lines be written

    log = log_path.read_text(errors="replace")
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    events = {line["event"] for line in lines}
    assert {"event_applied", "event_failed", "delivery_sent_inline", "deliveries_handled", "person_erased"} <= events
    for secret in ("314159", "271828", email.lower(), phone, phone.lstrip("+")):
        assert secret not in log.lower(), f"{secret} appears in the service's log"
