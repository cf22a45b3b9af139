"""Messages anybody can make us send are limited per destination, and name nobody (issue 18, finding 6).

Before: every sign-up attempt on an existing address sent its owner a notice (12 attempts, 12 messages),
and a book-and-cancel loop without an account sent two messages a round to any address, with the names
the booker typed.
"""

import uuid
from datetime import UTC, datetime, timedelta

from devstack.mail_sink import MailSink
from services.notifications.tests.appointment_events import booked, cancelled, patient
from services.notifications.tests.integration.conftest import Publish, eventually, fetch
from shared.contracts.accounts import RegistrationAttemptedOnExistingAccount
from shared.messages import Contract

VICTIM = "victime@example.org"
TYPED_FIRST, TYPED_LAST = "Achetez", "Cryptomonnaie"


def soon() -> datetime:
    return datetime.now(UTC) + timedelta(days=3)


async def applied(settings, count: int) -> None:
    async def inbox_holds() -> bool:
        return (await fetch(settings.database_url, "SELECT count(*) AS n FROM inbox"))[0]["n"] >= count

    await eventually(inbox_holds)


async def publish_one_by_one(publish: Publish, settings, events: list[Contract]) -> None:
    """Each applied before the next is published: the counts are then exact (see queries.record_booking)."""
    for number, event in enumerate(events, start=1):
        await publish(event)
        await applied(settings, number)


async def statuses(settings, kind: str) -> list[str]:
    rows = await fetch(
        settings.database_url, "SELECT status FROM deliveries WHERE kind = $1 ORDER BY created_at, id", kind
    )
    return [row["status"] for row in rows]


def to(mail_sink: MailSink, address: str) -> list:
    return [mail for mail in mail_sink.transmissions() if address in mail.recipients]


async def test_the_thirteenth_sign_up_attempt_notice_is_suppressed_and_recorded(
    service, publish, settings, mail_sink: MailSink
):
    attempts = [
        RegistrationAttemptedOnExistingAccount(channel="email", destination=address, language="fr")
        for address in [VICTIM] * 6 + [VICTIM.upper()] * 7
    ]
    await publish_one_by_one(publish, settings, attempts)
    other = RegistrationAttemptedOnExistingAccount(channel="email", destination="autre@example.org", language="fr")
    await publish(other)
    await eventually(lambda: len(to(mail_sink, "autre@example.org")) == 1)

    # The owner hears of it (the first messages always go), then no more this hour.
    sent_to_victim = [m for m in mail_sink.transmissions() if m.recipients[0].lower() == VICTIM]
    assert len(sent_to_victim) == settings.registration_notices_per_hour == 2

    async def victim_rows() -> list:
        query = "SELECT status, body FROM deliveries WHERE lower(recipient) = $1 ORDER BY id"
        return await fetch(settings.database_url, query, VICTIM)

    async def recorded() -> bool:
        return [row["status"] for row in await victim_rows()] == ["sent"] * 2 + ["suppressed"] * 11

    await eventually(recorded)
    assert {row["body"] for row in (await victim_rows())[2:]} == {""}


async def test_the_daily_limit_holds_across_hours(service, publish, settings, mail_sink: MailSink):
    # Five notices already went out earlier today, more than an hour ago.
    for _ in range(settings.registration_notices_per_day):
        await fetch(
            settings.database_url,
            "INSERT INTO deliveries (id, event_id, kind, channel, recipient, language, subject, body, status,"
            " created_at) VALUES ($1, $2, 'registration_attempted', 'email', $3, 'fr', 's', '', 'sent',"
            " now() - interval '3 hours')",
            uuid.uuid4(),
            uuid.uuid4(),
            VICTIM,
        )
    await publish_one_by_one(
        publish, settings, [RegistrationAttemptedOnExistingAccount(channel="email", destination=VICTIM, language="en")]
    )
    assert await statuses(settings, "registration_attempted") == ["sent"] * 5 + ["suppressed"]


async def test_an_anonymous_book_and_cancel_flood_is_limited_per_destination(
    service, publish, settings, mail_sink: MailSink
):
    victim = patient(email=VICTIM, phone=None)
    rounds = [booked(soon(), contact=victim) for _ in range(10)]
    await publish_one_by_one(publish, settings, [e for b in rounds for e in (b, cancelled(b))])
    limit = settings.anonymous_booking_notices_per_hour
    await eventually(lambda: len(to(mail_sink, VICTIM)) == limit)

    kinds = await fetch(settings.database_url, "SELECT kind, status FROM deliveries ORDER BY id")
    sent = [(row["kind"], row["status"]) for row in kinds if row["status"] != "suppressed"]
    assert len(sent) == limit == 6
    assert len(kinds) == 20  # every one of them recorded
    # A booking whose confirmation was suppressed plans no reminder.
    assert (await fetch(settings.database_url, "SELECT count(*) AS n FROM reminders"))[0]["n"] == 3

    # The clinic's own cancellation is not the booker's doing: it goes out whatever the count.
    by_clinic = booked(soon(), contact=victim)
    await publish_one_by_one(publish, settings, [by_clinic, cancelled(by_clinic, cancelled_by="staff")])
    await eventually(lambda: len(to(mail_sink, VICTIM)) == limit + 1)
    assert "La clinique a annulé" in to(mail_sink, VICTIM)[-1].body

    # A signed-in citizen's booking (their verified address) is not limited by what others made us send.
    mine = booked(soon(), contact=victim, account_id=uuid.uuid4())
    await publish(mine)
    await eventually(lambda: len(to(mail_sink, VICTIM)) == limit + 2)


async def test_an_anonymous_booking_is_confirmed_and_cancelled_without_the_typed_names(
    service, publish, settings, mail_sink: MailSink
):
    typed = patient(email=VICTIM, phone=None).model_copy(update={"first_name": TYPED_FIRST, "last_name": TYPED_LAST})
    anonymous = booked(soon(), contact=typed)
    await publish_one_by_one(publish, settings, [anonymous, cancelled(anonymous)])
    await eventually(lambda: len(to(mail_sink, VICTIM)) == 2)
    for mail in to(mail_sink, VICTIM):
        assert mail.body.startswith("Bonjour,")
        for typed_name in (TYPED_FIRST, TYPED_LAST):
            assert typed_name not in mail.subject + mail.body
    assert "CLSC de Verdun" in to(mail_sink, VICTIM)[0].body
    reminders = await fetch(settings.database_url, "SELECT details::text AS details FROM reminders")
    assert all(TYPED_FIRST not in row["details"] for row in reminders)

    # Booked from an account, the patient is greeted by name.
    named = booked(soon(), contact=patient(email="lea@example.org", phone=None), account_id=uuid.uuid4())
    await publish(named)
    await eventually(lambda: len(to(mail_sink, "lea@example.org")) == 1)
    assert to(mail_sink, "lea@example.org")[0].body.startswith("Bonjour Léa Roy,")
