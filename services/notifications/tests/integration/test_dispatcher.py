"""The dispatcher on its own against real PostgreSQL and sinks: a batch's outcomes, give-up, shutdown."""

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from devstack.testing.plans import plans_after_growth
from services.notifications import queries, use_cases
from services.notifications.channels import EMAIL, SMS, Channels
from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.email_channel import EmailChannel
from services.notifications.rules import RenderedMessage
from services.notifications.settings import NotificationsSettings
from services.notifications.sms_channel import SmsChannel
from services.notifications.tests.integration.conftest import fetch
from shared.db import asyncpg_dsn, make_engine, make_sessionmaker
from shared.unit_of_work import UnitOfWork


@pytest.fixture
async def sessions(settings: NotificationsSettings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(settings.database_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def queue(sessions: async_sessionmaker[AsyncSession], *to: tuple[str, str]) -> list[uuid.UUID]:
    event_ids = []
    async with UnitOfWork(sessions) as uow:
        for channel, recipient in to:
            event_ids.append(uuid.uuid4())
            message = RenderedMessage(subject="Sujet é", body=f"Corps pour {recipient}\n")
            await use_cases.record_delivery(uow, event_ids[-1], "test", channel, recipient, "fr", message)
        await uow.commit()
    return event_ids


async def rows(settings: NotificationsSettings) -> dict[str, dict]:
    found = await fetch(settings.database_url, "SELECT * FROM deliveries")
    return {r["recipient"]: dict(r) for r in found}


async def test_one_batch_records_each_send_and_each_failure(settings, sessions, mail_sink: MailSink, sms_sink: SmsSink):
    mails = [(EMAIL, f"p{i}@example.org") for i in range(4)]
    await queue(sessions, *mails, (SMS, "+15145550177"))
    sms_sink.fail_next(1, status=503)
    dispatcher = DeliveryDispatcher(lambda: UnitOfWork(sessions), lambda: Channels.from_settings(settings), 1, 8)
    channels = Channels.from_settings(settings)
    try:
        assert await dispatcher.send_next(channels)
    finally:
        await channels.close()
    logged = await rows(settings)
    assert {m.message_id for m in mail_sink.transmissions()} == {
        logged[address]["provider_message_id"] for _, address in mails
    }
    for _, address in mails:
        row = logged[address]
        assert (row["status"], row["attempts"], row["body"], row["last_error"]) == ("sent", 1, "", None)
        assert row["provider_message_id"] == EmailChannel.message_id(str(row["id"]))
        assert row["sent_at"] is not None
    failed = logged["+15145550177"]
    assert (failed["status"], failed["attempts"], failed["provider_message_id"]) == ("pending", 1, None)
    assert failed["last_error"] == "SmsProviderError: SMS provider answered HTTP 503"
    assert failed["body"] == "Corps pour +15145550177\n"  # kept for the retry
    assert failed["next_attempt_at"] > failed["created_at"]
    # Not due yet (backoff): nothing more to send now.
    channels = Channels.from_settings(settings)
    try:
        assert not await dispatcher.send_next(channels)
    finally:
        await channels.close()


async def test_a_delivery_is_given_up_after_the_last_attempt(settings, sessions, sms_sink: SmsSink):
    await queue(sessions, (SMS, "+15145550178"))
    sms_sink.fail_next(1, status=500)
    dispatcher = DeliveryDispatcher(lambda: UnitOfWork(sessions), lambda: Channels.from_settings(settings), 1, 1)
    channels = Channels.from_settings(settings)
    try:
        assert await dispatcher.send_next(channels)
    finally:
        await channels.close()
    row = (await rows(settings))["+15145550178"]
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert sms_sink.messages() == []


class StopsAfterOneSend:
    """The real email channel; asks the dispatcher to stop once the first message is out (SIGTERM mid-batch)."""

    def __init__(self, inner: EmailChannel, dispatcher: DeliveryDispatcher) -> None:
        self._inner, self._dispatcher = inner, dispatcher

    async def send(self, delivery_id: str, recipient: str, subject: str, body: str) -> str:
        sent = await self._inner.send(delivery_id, recipient, subject, body)
        self._dispatcher.stop()
        return sent

    async def close(self) -> None:
        await self._inner.close()


async def test_on_shutdown_the_send_in_hand_is_recorded_and_the_rest_goes_back_to_the_queue(
    settings, sessions, mail_sink: MailSink
):
    await queue(sessions, *[(EMAIL, f"q{i}@example.org") for i in range(3)])
    dispatcher = DeliveryDispatcher(lambda: UnitOfWork(sessions), lambda: Channels.from_settings(settings), 1, 8)
    channels = Channels({EMAIL: StopsAfterOneSend(EmailChannel(settings), dispatcher)}, settings.portal_base_url)
    try:
        assert await dispatcher.send_next(channels)
    finally:
        await channels.close()
    [mail] = mail_sink.transmissions()
    logged = await rows(settings)
    assert logged[mail.recipients[0]]["status"] == "sent"
    assert sorted((r["status"], r["attempts"]) for r in logged.values()) == [
        ("pending", 0),
        ("pending", 0),
        ("sent", 1),
    ]


async def test_nothing_queued_is_nothing_to_do(settings, sessions):
    dispatcher = DeliveryDispatcher(lambda: UnitOfWork(sessions), lambda: Channels.from_settings(settings), 1, 8)
    channels = Channels({EMAIL: EmailChannel(settings), SMS: SmsChannel(settings)}, settings.portal_base_url)
    try:
        assert not await dispatcher.send_next(channels)
    finally:
        await channels.close()


DISPATCH_STATEMENTS = {
    "claim": (queries.CLAIM_DUE, "8"),
    "sent": (queries.MARK_SENT, f"ARRAY['{uuid.uuid4()}']::uuid[], ARRAY['<id@x>']"),
    "retry": (queries.MARK_RETRY, f"ARRAY['{uuid.uuid4()}']::uuid[], ARRAY['timeout'], 8"),
}
# A busy day's messages.
GROWN_LOG = (
    "INSERT INTO deliveries (id, event_id, kind, channel, recipient, language, subject, body, status) "
    "SELECT gen_random_uuid(), gen_random_uuid(), 'confirmation', 'email', 'p' || n || '@example.org', 'fr', "
    "'Confirmation', '', CASE WHEN n % 10 = 0 THEN 'pending' ELSE 'sent' END FROM generate_series(1, 20000) AS n"
)


async def _plans_after_growth(database_url: str, settings: dict[str, str]) -> dict[str, str]:
    """The dispatcher's statements prepared on an empty delivery log, as a dispatcher's connection does, then
    their kept plans once the log holds 20,000 messages."""
    return await plans_after_growth(
        asyncpg_dsn(database_url), settings, DISPATCH_STATEMENTS, "TRUNCATE deliveries CASCADE", GROWN_LOG
    )


async def test_the_dispatchers_statements_keep_index_plans_made_while_the_log_was_small(
    settings: NotificationsSettings,
):
    plans = await _plans_after_growth(settings.database_url, queries.DISPATCH_SERVER_SETTINGS)
    for name, plan in plans.items():
        assert "Seq Scan" not in plan, f"{name}:\n{plan}"
        assert "JIT" not in plan, f"{name}:\n{plan}"
    assert "deliveries_due" in plans["claim"]
    assert "deliveries_pkey" in plans["sent"]
    # Why the setting: without it, MARK_SENT's plan made on the empty log reads the whole log at every batch.
    assert "Seq Scan on deliveries" in (await _plans_after_growth(settings.database_url, {}))["sent"]


async def test_the_services_dispatcher_runs_on_connections_with_its_settings(service):
    async with service.state.dispatcher.unit_of_work() as uow:
        for name, value in queries.DISPATCH_SERVER_SETTINGS.items():
            setting = await uow.session.execute(text("SELECT current_setting(:name)"), {"name": name})
            assert setting.scalar_one() == value
