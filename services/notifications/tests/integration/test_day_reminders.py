"""One reminder per destination and day (issue 22, item 2), with a clock the test moves: a holder booking for
themselves and two dependants, all to the holder's address, gets one e-mail (and one SMS) listing the day's
appointments, each with its own links; another day is another message; a cancelled appointment is left out, a
moved one joins its new day; the window and "never twice with replicas" hold for groups."""

import asyncio
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from devstack.mail_sink import MailSink, ReceivedMail
from devstack.sms_sink import SmsSink
from services.notifications.settings import NotificationsSettings
from services.notifications.tests.appointment_events import (
    EMAIL,
    PHONE,
    SERVICE,
    booked,
    cancelled,
    patient,
    rescheduled,
)
from services.notifications.tests.integration.conftest import PORTAL, eventually, fetch, running
from services.notifications.tests.integration.test_reminders import at, reminder_mails, reminder_sms
from services.notifications.tests.manual_clock import ManualClock
from shared.contracts.appointments import AppointmentBooked, Channel, PatientContactV1

MONTREAL = ZoneInfo("America/Montreal")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=MONTREAL)


BOOKED_AT = local(2030, 1, 10, 12, 0)
# 24 h ahead: the 10:30 appointment's reminder is due at 10:30 the day before, the others' later that day.
DAY = (local(2030, 1, 15, 10, 30), local(2030, 1, 15, 11, 0), local(2030, 1, 15, 14, 0))
FIRST_DUE = local(2030, 1, 14, 10, 30)
HOLDER = uuid.uuid4()
FAMILY = ("Léa", "Émile", "Rose")
INSTRUCTIONS = "Soyez à jeun depuis minuit"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(BOOKED_AT)


@pytest.fixture
def settings(settings: NotificationsSettings) -> NotificationsSettings:
    return settings.model_copy(update={"reminder_offsets_hours": (24.0,)})


def family_member(first_name: str, email: str = EMAIL, phone: str | None = PHONE) -> PatientContactV1:
    # Dependants are booked with the holder's contact: their messages go to the holder.
    return PatientContactV1(first_name=first_name, last_name="Roy", email=email, phone=phone)


def family_day(
    channels: tuple[Channel, ...] = ("email",), account_id: uuid.UUID = HOLDER, email: str = EMAIL
) -> list[AppointmentBooked]:
    bookings = [
        booked(
            starts,
            channels,
            contact=family_member(name, email),
            account_id=account_id,
            manage_token=f"token-{index}",
        )
        for index, (starts, name) in enumerate(zip(DAY, FAMILY, strict=True))
    ]
    # The clinic wrote instructions for the second one's service only.
    service = SERVICE.model_copy(update={"instructions_fr": INSTRUCTIONS})
    bookings[1] = bookings[1].model_copy(update={"service": service})
    return bookings


async def publish_all(publish, settings: NotificationsSettings, bookings: list[AppointmentBooked]) -> None:
    for booking in bookings:
        await publish(booking)

    async def planned() -> bool:
        rows = await fetch(settings.database_url, "SELECT appointment_id FROM reminders")
        return {row["appointment_id"] for row in rows} >= {booking.appointment_id for booking in bookings}

    await eventually(planned)


def text(mail: ReceivedMail) -> str:
    """The mail's body with its lines ended as the template ends them."""
    return mail.body.replace("\r\n", "\n")


def links(booking: AppointmentBooked) -> list[str]:
    base = f"{PORTAL}/appointments/{booking.appointment_id}"
    return [f"{base}/confirm?token={booking.manage_token}", f"{base}/cancel?token={booking.manage_token}"]


async def reminder_deliveries(settings: NotificationsSettings) -> list:
    return await fetch(
        settings.database_url,
        "SELECT id, event_id, channel, recipient, status FROM deliveries WHERE kind = 'appointment_reminder'",
    )


async def test_a_holder_gets_one_email_listing_the_three_family_appointments_of_the_day(
    service, publish, settings, clock, mail_sink: MailSink
):
    bookings = family_day()
    await publish_all(publish, settings, bookings)
    await eventually(lambda: len(mail_sink.transmissions()) == 3)  # the three confirmations

    assert await at(service, clock, local(2030, 1, 14, 10, 0)) == 0  # none due yet
    assert await at(service, clock, FIRST_DUE) == 3  # the first is due: the three leave together
    await eventually(lambda: len(reminder_mails(mail_sink)) == 1)
    [mail] = reminder_mails(mail_sink)
    assert mail.recipients == [EMAIL]
    assert mail.subject == "Rappel : 3 rendez-vous demain, mardi 15 janvier 2030"
    body = text(mail)
    assert "Nous vous rappelons vos 3 rendez-vous du mardi 15 janvier 2030." in body
    lines = [
        "1. 10 h 30 : Prise de sang\n   Pour : Léa Roy\n",
        "2. 11 h 00 : Prise de sang\n   Pour : Émile Roy\n",
        "3. 14 h 00 : Prise de sang\n   Pour : Rose Roy\n",
    ]
    assert [body.index(line) for line in lines] == sorted(body.index(line) for line in lines)
    for booking in bookings:
        for link in links(booking):
            assert body.count(link) == 1
    # The instructions, under the appointment they are for.
    assert body.index(lines[1]) < body.index(f"   {INSTRUCTIONS}\n") < body.index(lines[2])
    assert body.count("À apporter ou à faire avant la visite") == 1

    rows = await fetch(settings.database_url, "SELECT state, manage_token FROM reminders")
    assert [(row["state"], row["manage_token"]) for row in rows] == [("queued", None)] * 3
    [delivery] = await reminder_deliveries(settings)
    listed = await fetch(
        settings.database_url, "SELECT reminder_id FROM reminder_deliveries WHERE event_id = $1", delivery["event_id"]
    )
    assert len(listed) == 3

    # The later ones' own due times pass: nothing more goes out.
    for moment in (local(2030, 1, 14, 11, 0), local(2030, 1, 14, 14, 0)):
        assert await at(service, clock, moment) == 0
    await asyncio.sleep(0.5)
    assert len(reminder_mails(mail_sink)) == 1
    assert await fetch(
        settings.database_url, "SELECT status FROM deliveries WHERE id = $1 AND status = 'sent'", delivery["id"]
    )


async def test_the_same_address_in_other_letters_is_the_same_destination(
    service, publish, settings, clock, mail_sink: MailSink
):
    bookings = family_day()
    bookings[2] = bookings[2].model_copy(update={"patient": family_member("Rose", EMAIL.upper())})
    await publish_all(publish, settings, bookings)
    assert await at(service, clock, FIRST_DUE) == 3
    await eventually(lambda: len(reminder_mails(mail_sink)) == 1)
    [mail] = reminder_mails(mail_sink)
    assert mail.subject.startswith("Rappel : 3 rendez-vous")


async def test_appointments_on_two_days_get_two_reminders(service, publish, settings, clock, mail_sink: MailSink):
    first = booked(DAY[0], contact=family_member("Léa"), account_id=HOLDER, manage_token="token-a")
    second = booked(local(2030, 1, 16, 9, 0), contact=family_member("Émile"), account_id=HOLDER, manage_token="token-b")
    second = second.model_copy(update={"service": SERVICE.model_copy(update={"instructions_fr": INSTRUCTIONS})})
    await publish_all(publish, settings, [first, second])

    assert await at(service, clock, FIRST_DUE) == 1
    await eventually(lambda: len(reminder_mails(mail_sink)) == 1)
    assert await at(service, clock, local(2030, 1, 15, 9, 0)) == 1
    await eventually(lambda: len(reminder_mails(mail_sink)) == 2)
    await asyncio.sleep(0.5)
    # Each alone on its day: the one-appointment reminder, as before.
    subjects = [mail.subject for mail in reminder_mails(mail_sink)]
    assert subjects == [
        "Rappel : Prise de sang, mardi 15 janvier 2030 à 10 h 30",
        "Rappel : Prise de sang, mercredi 16 janvier 2030 à 09 h 00",
    ]
    bodies = [mail.body for mail in reminder_mails(mail_sink)]
    assert links(first)[1] in bodies[0]
    assert links(second)[1] not in bodies[0]
    assert links(second)[1] in bodies[1]
    assert links(first)[1] not in bodies[1]
    # Alone, a reminder gives its service's instructions too (kept with the reminder since its booking), under
    # the appointment; without any, no heading.
    assert f"H4G 2M4\n\nÀ apporter ou à faire avant la visite :\n{INSTRUCTIONS}\n\n" in text(
        reminder_mails(mail_sink)[1]
    )
    assert "avant la visite" not in bodies[0]


async def test_others_destinations_on_the_same_day_get_their_own_reminders(
    service, publish, settings, clock, mail_sink: MailSink
):
    mine = family_day()
    theirs = booked(DAY[1], contact=patient(email="luc.gagnon@example.org"), account_id=uuid.uuid4())
    await publish_all(publish, settings, [*mine, theirs])
    assert await at(service, clock, FIRST_DUE) == 3
    await eventually(lambda: len(reminder_mails(mail_sink)) == 1)
    assert await at(service, clock, local(2030, 1, 14, 11, 0)) == 1
    await eventually(lambda: len(reminder_mails(mail_sink)) == 2)
    by_recipient = {tuple(mail.recipients): mail for mail in reminder_mails(mail_sink)}
    assert by_recipient[(EMAIL,)].subject.startswith("Rappel : 3 rendez-vous")
    assert by_recipient[("luc.gagnon@example.org",)].subject.startswith("Rappel : Prise de sang, mardi")
    assert links(theirs)[0] not in by_recipient[(EMAIL,)].body


async def test_an_appointment_cancelled_before_the_reminder_is_left_out(
    service, publish, settings, clock, mail_sink: MailSink
):
    bookings = family_day()
    await publish_all(publish, settings, bookings)
    await publish(cancelled(bookings[1]))
    await eventually(lambda: any(m.subject.startswith("Rendez-vous annulé") for m in mail_sink.transmissions()))

    assert await at(service, clock, FIRST_DUE) == 2
    await eventually(lambda: len(reminder_mails(mail_sink)) == 1)
    await asyncio.sleep(0.5)
    [mail] = reminder_mails(mail_sink)
    assert mail.subject == "Rappel : 2 rendez-vous demain, mardi 15 janvier 2030"
    assert "Émile" not in mail.body
    assert links(bookings[1])[0] not in mail.body
    assert INSTRUCTIONS not in mail.body
    for booking in (bookings[0], bookings[2]):
        assert all(link in mail.body for link in links(booking))


async def test_when_all_are_cancelled_nothing_is_sent(service, publish, settings, clock, mail_sink: MailSink):
    bookings = family_day()
    await publish_all(publish, settings, bookings)
    for booking in bookings:
        await publish(cancelled(booking))
    await eventually(
        lambda: sum(m.subject.startswith("Rendez-vous annulé") for m in mail_sink.transmissions()) == len(bookings)
    )
    for moment in (FIRST_DUE, local(2030, 1, 14, 11, 0), local(2030, 1, 14, 14, 0)):
        assert await at(service, clock, moment) == 0
    await asyncio.sleep(0.5)
    assert reminder_mails(mail_sink) == []
    assert await reminder_deliveries(settings) == []


async def test_a_moved_appointment_joins_its_new_days_reminder(service, publish, settings, clock, mail_sink: MailSink):
    bookings = family_day()
    await publish_all(publish, settings, bookings)
    other_day = booked(local(2030, 1, 16, 15, 0), contact=family_member("Léa"), account_id=HOLDER, manage_token="t-16")
    await publish(other_day)
    moved = rescheduled(bookings[2], local(2030, 1, 16, 9, 0), manage_token="token-moved")
    await publish(moved)

    async def moved_planned() -> bool:
        rows = await fetch(settings.database_url, "SELECT state FROM reminders")
        return sorted(row["state"] for row in rows) == ["cancelled"] + ["pending"] * 4

    await eventually(moved_planned)
    assert await at(service, clock, FIRST_DUE) == 2
    await eventually(lambda: len(reminder_mails(mail_sink)) == 1)
    assert await at(service, clock, local(2030, 1, 15, 9, 0)) == 2
    await eventually(lambda: len(reminder_mails(mail_sink)) == 2)
    await asyncio.sleep(0.5)
    day_15, day_16 = reminder_mails(mail_sink)
    assert day_15.subject == "Rappel : 2 rendez-vous demain, mardi 15 janvier 2030"
    assert "Rose" not in day_15.body
    assert "token-2" not in day_15.body
    assert day_16.subject == "Rappel : 2 rendez-vous demain, mercredi 16 janvier 2030"
    assert "1. 09 h 00 : Prise de sang\n   Pour : Rose Roy\n" in text(day_16)
    assert "2. 15 h 00 : Prise de sang\n   Pour : Léa Roy\n" in text(day_16)
    assert "/cancel?token=token-moved" in day_16.body
    assert "token-2" not in day_16.body


async def test_sms_are_grouped_by_number_like_emails_by_address(
    service, publish, settings, clock, mail_sink: MailSink, sms_sink: SmsSink
):
    bookings = family_day(("email", "sms"))
    await publish_all(publish, settings, bookings)
    await eventually(lambda: len(sms_sink.messages()) == 3)
    assert await at(service, clock, FIRST_DUE) == 3
    await eventually(lambda: len(reminder_sms(sms_sink)) == 1 and len(reminder_mails(mail_sink)) == 1)
    await asyncio.sleep(0.5)
    [sms] = reminder_sms(sms_sink)
    assert sms.to == PHONE
    assert sms.body.startswith("Rendez-vous santé – Rappel : 3 RDV demain, mardi 15 janvier 2030. 1) 10 h 30, ")
    for index, name in enumerate(FAMILY, start=1):
        assert f"{index}) {DAY[index - 1].strftime('%H')} h" in sms.body
        assert f"({name} Roy)" in sms.body
    for booking in bookings:
        assert all(link in sms.body for link in links(booking))
    rows = await reminder_deliveries(settings)
    assert sorted(row["channel"] for row in rows) == ["email", "sms"]
    # The same three reminders listed on both channels: one event id, one message per channel.
    assert len({row["event_id"] for row in rows}) == 1


async def test_a_dependant_with_a_mobile_of_their_own_gets_it_there_and_stays_on_the_holders_email(
    service, publish, settings, clock, mail_sink: MailSink, sms_sink: SmsSink
):
    bookings = family_day(("email", "sms"))
    own_phone = "+15145559999"
    bookings[2] = bookings[2].model_copy(update={"patient": family_member("Rose", EMAIL, own_phone)})
    await publish_all(publish, settings, bookings)
    assert await at(service, clock, FIRST_DUE) == 3
    await eventually(lambda: len(reminder_sms(sms_sink)) == 2 and len(reminder_mails(mail_sink)) == 1)
    await asyncio.sleep(0.5)
    assert len(reminder_sms(sms_sink)) == 2
    texts = {sms.to: sms.body for sms in reminder_sms(sms_sink)}
    assert texts[PHONE].startswith("Rendez-vous santé – Rappel : 2 RDV demain")
    assert "Rose" not in texts[PHONE]
    assert texts[own_phone].startswith("Rendez-vous santé – Rappel : Prise de sang, mardi 15 janvier 2030 à 14 h 00")
    [mail] = reminder_mails(mail_sink)
    assert mail.subject.startswith("Rappel : 3 rendez-vous")


async def test_a_group_due_after_2100_waits_for_0800_and_leaves_once(
    service, publish, settings, clock, mail_sink: MailSink
):
    # 24 h before 20:30 is in the window; the scheduler only gets to it at 21:30 (an outage): postponed to 08:00.
    late = [
        booked(local(2030, 1, 15, 20, 30), contact=family_member("Léa"), account_id=HOLDER, manage_token="t1"),
        booked(local(2030, 1, 15, 20, 45), contact=family_member("Émile"), account_id=HOLDER, manage_token="t2"),
    ]
    await publish_all(publish, settings, late)
    assert await at(service, clock, local(2030, 1, 14, 21, 30)) == 2  # both postponed
    rows = await fetch(settings.database_url, "SELECT state, due_at FROM reminders")
    assert [(row["state"], row["due_at"]) for row in rows] == [("pending", local(2030, 1, 15, 8, 0))] * 2
    assert await at(service, clock, local(2030, 1, 15, 7, 59)) == 0
    await asyncio.sleep(0.3)
    assert reminder_mails(mail_sink) == []
    assert await at(service, clock, local(2030, 1, 15, 8, 0)) == 2
    await eventually(lambda: len(reminder_mails(mail_sink)) == 1)
    await asyncio.sleep(0.5)
    [mail] = reminder_mails(mail_sink)
    assert mail.subject == "Rappel : 2 rendez-vous aujourd'hui, mardi 15 janvier 2030"


async def test_a_message_not_yet_sent_is_withdrawn_only_when_all_it_lists_are_cancelled(
    service, publish, settings, clock, sms_sink: SmsSink
):
    bookings = family_day(("sms",))[:2]
    await publish_all(publish, settings, bookings)
    await eventually(lambda: len(sms_sink.messages()) == 2)
    sms_sink.fail_next(1000)  # the provider is down: the queued reminder waits in the delivery log
    assert await at(service, clock, FIRST_DUE) == 2

    async def statuses() -> list[str]:
        return [row["status"] for row in await reminder_deliveries(settings)]

    await eventually(lambda: _attempted(settings))
    await publish(cancelled(bookings[0]))

    async def withdrawn(count: int) -> bool:
        rows = await fetch(settings.database_url, "SELECT 1 FROM reminder_deliveries WHERE withdrawn_at IS NOT NULL")
        return len(rows) == count

    await eventually(lambda: withdrawn(1))
    assert await statuses() == ["pending"]  # the other appointment still stands
    await publish(cancelled(bookings[1]))
    await eventually(lambda: withdrawn(2))
    assert await statuses() == ["cancelled"]
    sms_sink.fail_next(0)
    await asyncio.sleep(2.5)  # past the backoff: it would have gone by now
    assert reminder_sms(sms_sink) == []


async def _attempted(settings: NotificationsSettings) -> bool:
    rows = await fetch(settings.database_url, "SELECT attempts FROM deliveries WHERE kind = 'appointment_reminder'")
    return [row["attempts"] > 0 for row in rows] == [True]


async def test_two_replicas_send_each_family_one_reminder(settings, clock, publish, mail_sink: MailSink):
    # Small batches: a family's three reminders, all due at once, fall in different batches of both replicas.
    settings = settings.model_copy(update={"reminder_batch_size": 2})
    families = [family_day(account_id=uuid.uuid4(), email=f"famille.{n}@example.org") for n in range(6)]
    # Everyone's reminders due at the same moment.
    async with running(settings, clock) as first, running(settings, clock) as second:
        for family in families:
            await publish_all(publish, settings, family)
        clock.set(local(2030, 1, 14, 14, 0))
        first.state.reminder_scheduler.wake()
        second.state.reminder_scheduler.wake()
        await asyncio.gather(*(app.state.reminder_scheduler.queue_due() for _ in range(10) for app in (first, second)))
        await eventually(lambda: len(reminder_mails(mail_sink)) == len(families))
        await asyncio.sleep(1.0)  # a duplicate would arrive within this time

    mails = reminder_mails(mail_sink)
    assert sorted(mail.recipients[0] for mail in mails) == sorted(f"famille.{n}@example.org" for n in range(6))
    assert all(mail.subject.startswith("Rappel : 3 rendez-vous demain") for mail in mails)
    states = await fetch(settings.database_url, "SELECT state, count(*) AS n FROM reminders GROUP BY state")
    assert {row["state"]: row["n"] for row in states} == {"queued": 18}
    assert len(await reminder_deliveries(settings)) == len(families)
