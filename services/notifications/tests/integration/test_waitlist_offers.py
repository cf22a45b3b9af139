"""A seat freed for someone on a waitlist (issue 22, item 1): they hear of it at once, by every channel they
chose, with the link that accepts or declines it; once per offer, whatever redelivers it; at any hour; and the
link's secret is kept nowhere."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from services.notifications.tests.appointment_events import EMAIL, PHONE, PLACE, SERVICE, patient
from services.notifications.tests.integration.conftest import PORTAL, eventually, fetch, tables_containing
from services.notifications.tests.manual_clock import ManualClock
from shared.contracts.appointments import Channel, WaitlistSeatOffered

TOKEN = "Offer-secret_7Hk2pQ"
# 03:10 in Montréal (08:10 UTC in December): outside the reminders' 08:00-21:00 window.
NIGHT = datetime(2026, 12, 9, 8, 10, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NIGHT)


def offered(
    *,
    channels: tuple[Channel, ...] = ("email", "sms"),
    language: str = "fr",
    account_id: uuid.UUID | None = None,
    expires_in: timedelta = timedelta(minutes=15),
    email: str | None = EMAIL,
    offer_id: uuid.UUID | None = None,
) -> WaitlistSeatOffered:
    starts_at = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)  # 10:30 in Montréal
    return WaitlistSeatOffered(
        offer_id=offer_id or uuid.uuid4(),
        entry_id=uuid.uuid4(),
        account_id=account_id,
        person_id=None,
        slot_id=uuid.uuid4(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=15),
        expires_at=NIGHT + expires_in,
        place=PLACE,
        service=SERVICE,
        patient=patient(email=email),
        language=language,
        notify_channels=channels,
        offer_token=TOKEN,
    )


async def test_an_offer_reaches_every_chosen_channel_once_at_night_with_its_link_kept_nowhere(
    service, publish, settings, mail_sink: MailSink, sms_sink: SmsSink
):
    offer = offered(account_id=uuid.uuid4())
    envelope = offer.to_envelope()
    await publish(envelope=envelope)
    await publish(envelope=envelope)  # redelivered
    await publish(offer)  # the same offer announced again, in another event
    await eventually(lambda: len(mail_sink.transmissions()) == 1 and len(sms_sink.messages()) == 1)
    await asyncio.sleep(1.0)  # a second message would arrive within this time
    [mail] = mail_sink.transmissions()
    [sms] = sms_sink.messages()
    link = f"{PORTAL}/waitlist/offers/{offer.offer_id}?token={TOKEN}&lang=fr"

    assert mail.recipients == [EMAIL]
    assert mail.subject == "Une place s'est libérée : Prise de sang, jeudi 10 décembre 2026 à 10 h 30"
    assert "Bonjour Léa Roy," in mail.body
    assert "Elle vous est réservée jusqu'à 03 h 25." in mail.body
    assert "CLSC de Verdun\r\n       400, rue de l'Église, Montréal H4G 2M4" in mail.body
    assert link in mail.body
    assert sms.to == PHONE
    assert "Une place s'est libérée : Prise de sang, jeudi 10 décembre 2026 à 10 h 30, CLSC de Verdun." in sms.body
    assert f"jusqu'à 03 h 25 – accepter ou refuser : {link}" in sms.body

    rows = await fetch(
        settings.database_url, "SELECT kind, channel, recipient, status, body FROM deliveries ORDER BY channel"
    )
    assert [tuple(r) for r in rows] == [
        ("waitlist_seat_offered", "email", EMAIL, "sent", "[link withheld]"),
        ("waitlist_seat_offered", "sms", PHONE, "sent", "[link withheld]"),
    ]
    assert await tables_containing(settings.database_url, [TOKEN]) == {}


async def test_an_offer_in_english_to_an_entry_without_an_account_names_nobody(
    service, publish, settings, mail_sink: MailSink, sms_sink: SmsSink
):
    await publish(offered(channels=("email",), language="en"))
    await eventually(lambda: len(mail_sink.transmissions()) == 1)
    [mail] = mail_sink.transmissions()
    assert mail.subject == "A seat has opened up: Blood test, Thursday, December 10, 2026 at 10:30\u202fa.m."
    assert mail.body.startswith("Hello,\r\n")
    assert "Léa" not in mail.body
    assert "Roy" not in mail.body
    assert "It is held for you until 3:25\u202fa.m." in mail.body
    assert sms_sink.messages() == []


async def test_a_hold_into_the_next_day_says_its_date(service, publish, settings, mail_sink: MailSink):
    await publish(offered(channels=("email",), expires_in=timedelta(hours=22)))
    await eventually(lambda: len(mail_sink.transmissions()) == 1)
    [mail] = mail_sink.transmissions()
    assert "réservée jusqu'à jeudi 10 décembre 2026 à 01 h 10." in mail.body


async def test_an_offer_already_expired_is_not_sent(service, publish, settings, mail_sink: MailSink):
    await publish(offered(channels=("email",), expires_in=timedelta(seconds=-1)))
    await publish(offered(channels=("email",), email="witness@example.org"))
    await eventually(lambda: len(mail_sink.transmissions()) == 1)
    await asyncio.sleep(0.5)
    [mail] = mail_sink.transmissions()
    assert mail.recipients == ["witness@example.org"]


async def test_offers_to_entries_without_an_account_are_limited_per_destination(
    service, publish, settings, mail_sink: MailSink
):
    """Each declined or expired offer brings another: to an address nobody proved, that would be a flood."""
    limit = settings.anonymous_booking_notices_per_hour
    for number in range(1, limit + 2):
        await publish(offered(channels=("email",), email="victime@example.org"))

        async def applied(count: int = number) -> bool:
            return (await fetch(settings.database_url, "SELECT count(*) AS n FROM inbox"))[0]["n"] >= count

        await eventually(applied)
    await eventually(lambda: len(mail_sink.transmissions()) == limit)
    rows = await fetch(settings.database_url, "SELECT status, body FROM deliveries ORDER BY created_at, id")
    assert [r["status"] for r in rows] == ["sent"] * limit + ["suppressed"]
    assert rows[-1]["body"] == ""
