"""Reminders with a clock the test moves: sent only in 08:00-21:00 Montreal time, once even with two
replicas, never for a cancelled appointment or an old time, durable across a restart."""

import asyncio
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from services.notifications.settings import NotificationsSettings
from services.notifications.tests.appointment_events import EMAIL, PHONE, booked, cancelled, patient, rescheduled
from services.notifications.tests.integration.conftest import PORTAL, eventually, fetch, running
from services.notifications.tests.manual_clock import ManualClock

MONTREAL = ZoneInfo("America/Montreal")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=MONTREAL)


# With a 12 h offset, a 10:30 appointment is due to be reminded at 22:30 the evening before.
STARTS = local(2030, 1, 15, 10, 30)
BOOKED_AT = local(2030, 1, 13, 12, 0)
DUE = local(2030, 1, 14, 22, 30)
OPENING = local(2030, 1, 15, 8, 0)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(BOOKED_AT)


@pytest.fixture
def settings(settings: NotificationsSettings) -> NotificationsSettings:
    return settings.model_copy(update={"reminder_offsets_hours": (12.0,)})


def reminder_mails(sink: MailSink) -> list:
    return [m for m in sink.transmissions() if m.subject.startswith(("Rappel", "Reminder"))]


def reminder_sms(sink: SmsSink) -> list:
    return [m for m in sink.messages() if "Rappel" in m.body or "Reminder" in m.body]


async def reminders_of(settings: NotificationsSettings, appointment_id: object) -> list:
    return await fetch(
        settings.database_url,
        "SELECT * FROM reminders WHERE appointment_id = $1 ORDER BY created_at",
        appointment_id,
    )


async def planned(settings: NotificationsSettings, appointment_id: object, count: int = 1) -> list:
    async def ready() -> bool:
        return len(await reminders_of(settings, appointment_id)) == count

    await eventually(ready)
    return await reminders_of(settings, appointment_id)


async def _reminder_states(database_url: str) -> set[tuple]:
    rows = await fetch(database_url, "SELECT id, state, due_at FROM reminders")
    return {(row["id"], row["state"], row["due_at"]) for row in rows}


async def at(app: FastAPI, clock: ManualClock, moment: datetime) -> int:
    """Moves the clock and runs one scheduler pass; returns how many reminders were handled then
    (queued, postponed or skipped).

    The app's own scheduler worker polls too and may claim a due reminder first, so this compares
    the reminders in the database around the pass rather than what this pass alone claimed.
    """
    database_url = app.state.runtime.settings.database_url
    before = await _reminder_states(database_url)
    clock.set(moment)
    await app.state.reminder_scheduler.queue_due()
    await asyncio.sleep(0.5)  # longer than the worker's poll: its pass, if any, has committed
    return len({state[0] for state in await _reminder_states(database_url) - before})


async def test_a_reminder_due_at_2230_goes_out_at_0800_not_before(
    service, publish, settings, clock, mail_sink: MailSink
):
    booking = booked(STARTS, manage_token="tok-123")
    await publish(booking)
    [row] = await planned(settings, booking.appointment_id)
    assert row["due_at"] == OPENING
    assert row["state"] == "pending"
    assert row["manage_token"] == "tok-123"
    await eventually(lambda: len(mail_sink.transmissions()) == 1)  # the confirmation

    for moment in (DUE, local(2030, 1, 15, 2, 0), local(2030, 1, 15, 7, 59, 59)):
        assert await at(service, clock, moment) == 0
    await asyncio.sleep(0.5)  # the worker polls too: it must not find anything either
    assert reminder_mails(mail_sink) == []

    clock.set(OPENING)
    service.state.reminder_scheduler.wake()
    await eventually(lambda: len(reminder_mails(mail_sink)) == 1)
    [mail] = reminder_mails(mail_sink)
    assert mail.recipients == [EMAIL]
    assert mail.subject == "Rappel : Prise de sang, mardi 15 janvier 2030 à 10 h 30"
    links = f"{PORTAL}/appointments/{booking.appointment_id}"
    assert f"{links}/confirm?token=tok-123" in mail.body
    assert f"{links}/cancel?token=tok-123" in mail.body

    # The token is kept no longer than needed: off the reminder once queued, off the delivery once sent.
    [row] = await reminders_of(settings, booking.appointment_id)
    assert (row["state"], row["manage_token"]) == ("queued", None)

    async def sent() -> bool:
        rows = await fetch(settings.database_url, "SELECT * FROM deliveries WHERE event_id = $1", row["id"])
        return [(r["status"], r["body"]) for r in rows] == [("sent", "")]

    await eventually(sent)
    await asyncio.sleep(0.5)
    assert len(reminder_mails(mail_sink)) == 1


async def test_a_scheduler_running_late_checks_the_window_again(service, publish, settings, clock, mail_sink):
    # Due at 20:30, inside the window; but the scheduler only gets to it at 21:30 (say, after an outage).
    booking = booked(local(2030, 1, 15, 8, 30))
    await publish(booking)
    [row] = await planned(settings, booking.appointment_id)
    assert row["due_at"] == local(2030, 1, 14, 20, 30)

    assert await at(service, clock, local(2030, 1, 14, 21, 30)) == 1
    [row] = await reminders_of(settings, booking.appointment_id)
    assert (row["state"], row["due_at"]) == ("pending", OPENING)  # postponed, not sent at 21:30
    assert await at(service, clock, local(2030, 1, 15, 7, 0)) == 0
    assert await at(service, clock, OPENING) == 1
    await eventually(lambda: len(reminder_mails(mail_sink)) == 1)


async def test_a_reminder_too_late_for_any_window_is_skipped(service, publish, settings, clock, mail_sink):
    booking = booked(local(2030, 1, 15, 8, 0))  # due 20:00; the scheduler wakes at 22:00: 08:00 is too late
    await publish(booking)
    await planned(settings, booking.appointment_id)
    assert await at(service, clock, local(2030, 1, 14, 22, 0)) == 1
    [row] = await reminders_of(settings, booking.appointment_id)
    assert (row["state"], row["manage_token"]) == ("skipped", None)
    assert await at(service, clock, OPENING) == 0
    await asyncio.sleep(0.5)
    assert reminder_mails(mail_sink) == []


async def test_a_cancelled_appointment_gets_no_reminder_and_a_notice_by_email_and_sms(
    service, publish, settings, clock, mail_sink: MailSink, sms_sink: SmsSink
):
    booking = booked(STARTS, ("email", "sms"))
    await publish(booking)
    await planned(settings, booking.appointment_id)
    await eventually(lambda: len(mail_sink.transmissions()) == 1 and len(sms_sink.messages()) == 1)

    await publish(cancelled(booking, cancelled_by="staff"))
    await eventually(lambda: len(mail_sink.transmissions()) == 2 and len(sms_sink.messages()) == 2)
    notice = mail_sink.transmissions()[-1]
    assert notice.recipients == [EMAIL]
    assert notice.subject == "Rendez-vous annulé : Prise de sang, mardi 15 janvier 2030 à 10 h 30"
    assert "La clinique a annulé votre rendez-vous." in notice.body
    sms = next(m for m in sms_sink.messages() if "annulé" in m.body)
    assert sms.to == PHONE
    assert sms.body.startswith("Rendez-vous santé – La clinique a annulé votre RDV : Prise de sang")

    [row] = await reminders_of(settings, booking.appointment_id)
    assert (row["state"], row["manage_token"]) == ("cancelled", None)
    assert await at(service, clock, OPENING) == 0
    await asyncio.sleep(0.5)
    assert reminder_mails(mail_sink) == []
    assert reminder_sms(sms_sink) == []


async def test_a_cancellation_also_stops_a_reminder_already_queued(
    service, publish, settings, clock, sms_sink: SmsSink
):
    booking = booked(STARTS, ("sms",))
    await publish(booking)
    await planned(settings, booking.appointment_id)
    await eventually(lambda: len(sms_sink.messages()) == 1)
    sms_sink.fail_next(1000)  # the provider is down: the queued reminder waits in the delivery log
    assert await at(service, clock, OPENING) == 1

    async def waiting_for_a_retry() -> bool:
        rows = await fetch(
            settings.database_url, "SELECT status, attempts FROM deliveries WHERE kind = 'appointment_reminder'"
        )
        return [(r["status"], r["attempts"] > 0) for r in rows] == [("pending", True)]

    await eventually(waiting_for_a_retry)
    sms_sink.fail_next(0)  # back up, but the cancellation lands within the 2 s backoff
    await publish(cancelled(booking))

    async def stopped() -> bool:
        rows = await fetch(settings.database_url, "SELECT status FROM deliveries WHERE kind = 'appointment_reminder'")
        return [r["status"] for r in rows] == ["cancelled"]

    await eventually(stopped)
    await eventually(lambda: any("annulé" in m.body for m in sms_sink.messages()))
    await asyncio.sleep(2.5)  # past the backoff: the reminder would have gone by now
    assert reminder_sms(sms_sink) == []


async def test_two_replicas_send_each_reminder_once_per_channel(
    settings, clock, publish, mail_sink: MailSink, sms_sink: SmsSink
):
    # Small batches so the two schedulers interleave on the same rows instead of one taking them all.
    settings = settings.model_copy(update={"reminder_batch_size": 2})
    # Each its own patient: a dozen bookings without an account to one address would pass its limit.
    contacts = [patient(email=f"lea.{n}@example.org", phone=f"+1514555{n:04d}") for n in range(12)]
    bookings = [booked(STARTS, ("email", "sms"), contact=contact) for contact in contacts]
    async with running(settings, clock) as first, running(settings, clock) as second:
        for booking in bookings:
            await publish(booking)

        async def all_planned() -> bool:
            return len(await fetch(settings.database_url, "SELECT 1 FROM reminders")) == len(bookings)

        await eventually(all_planned)
        clock.set(OPENING)
        # Both replicas' workers are woken, and both also run passes of their own, all at once.
        first.state.reminder_scheduler.wake()
        second.state.reminder_scheduler.wake()
        await asyncio.gather(*(app.state.reminder_scheduler.queue_due() for _ in range(10) for app in (first, second)))
        await eventually(
            lambda: len(reminder_mails(mail_sink)) == len(bookings) and len(reminder_sms(sms_sink)) == len(bookings)
        )
        await asyncio.sleep(1.0)  # a duplicate would arrive within this time

    assert len(reminder_mails(mail_sink)) == len(bookings)
    assert sum("Rappel" in m.body for m in sms_sink.messages()) == len(bookings)
    assert sms_sink.transmissions() == 2 * len(bookings)  # confirmations and reminders, nothing resent
    rows = await fetch(
        settings.database_url,
        "SELECT channel, count(*) AS n FROM deliveries WHERE kind = 'appointment_reminder' GROUP BY channel",
    )
    assert {r["channel"]: r["n"] for r in rows} == {"email": len(bookings), "sms": len(bookings)}
    states = await fetch(settings.database_url, "SELECT DISTINCT state FROM reminders")
    assert [r["state"] for r in states] == ["queued"]


async def test_a_rescheduled_appointment_is_reminded_only_for_its_new_time(
    service, publish, settings, clock, mail_sink: MailSink
):
    booking = booked(STARTS, manage_token="old-token")
    await publish(booking)
    await planned(settings, booking.appointment_id)
    new_start = local(2030, 1, 22, 20, 0)  # 12 h before: 08:00, inside the window
    await publish(rescheduled(booking, new_start, manage_token="new-token"))
    old, new = await planned(settings, booking.appointment_id, count=2)
    assert (old["state"], old["manage_token"]) == ("cancelled", None)
    assert (new["state"], new["due_at"], new["starts_at"]) == ("pending", local(2030, 1, 22, 8, 0), new_start)

    await eventually(lambda: len(mail_sink.transmissions()) == 2)
    notice = mail_sink.transmissions()[-1]
    assert notice.subject == "Rendez-vous déplacé : Prise de sang, mardi 22 janvier 2030 à 20 h 00"
    assert "Votre rendez-vous du mardi 15 janvier 2030 à 10 h 30 est remplacé par celui-ci" in notice.body
    assert f"/appointments/{booking.appointment_id}/confirm?token=new-token" in notice.body

    assert await at(service, clock, OPENING) == 0  # the old time's reminder is gone
    assert await at(service, clock, local(2030, 1, 22, 8, 0)) == 1
    await eventually(lambda: len(reminder_mails(mail_sink)) == 1)
    await asyncio.sleep(0.5)
    [mail] = reminder_mails(mail_sink)
    assert mail.subject == "Rappel : Prise de sang, mardi 22 janvier 2030 à 20 h 00"
    assert "token=new-token" in mail.body
    assert "old-token" not in mail.body


async def test_a_booking_event_arriving_after_its_cancellation_plans_nothing(
    service, publish, settings, clock, mail_sink: MailSink
):
    # The booking event failed once and was requeued behind the cancellation.
    booking = booked(STARTS)
    booking_envelope = booking.to_envelope()
    await publish(cancelled(booking))
    await eventually(lambda: len(mail_sink.transmissions()) == 1)
    await publish(envelope=booking_envelope)
    await asyncio.sleep(1.0)
    assert await reminders_of(settings, booking.appointment_id) == []
    assert [m.subject.split(" :")[0] for m in mail_sink.transmissions()] == ["Rendez-vous annulé"]


async def test_reminders_survive_a_restart(settings, clock, publish, mail_sink: MailSink):
    booking = booked(STARTS)
    async with running(settings, clock):
        await publish(booking)
        await planned(settings, booking.appointment_id)
    # The replica that planned it is gone; a new one, started later, sends it.
    clock.set(OPENING)
    async with running(settings, clock):
        await eventually(lambda: len(reminder_mails(mail_sink)) == 1)
    [row] = await reminders_of(settings, booking.appointment_id)
    assert row["state"] == "queued"


async def test_an_sms_reminder_when_the_patient_prefers_sms(
    service, publish, settings, clock, mail_sink: MailSink, sms_sink: SmsSink
):
    booking = booked(STARTS, ("sms",), language="en", manage_token="tok-sms")
    await publish(booking)
    await planned(settings, booking.appointment_id)
    await eventually(lambda: len(sms_sink.messages()) == 1)
    [confirmation] = sms_sink.messages()
    assert confirmation.body.startswith("Rendez-vous santé – Appointment confirmed: Blood test")

    clock.set(OPENING)
    service.state.reminder_scheduler.wake()
    await eventually(lambda: len(reminder_sms(sms_sink)) == 1)
    [sms] = reminder_sms(sms_sink)
    assert sms.to == PHONE
    assert sms.body.startswith("Rendez-vous santé – Reminder: Blood test, Tuesday, January 15, 2030 at 10:30")
    assert f"/appointments/{booking.appointment_id}/confirm?token=tok-sms" in sms.body
    await asyncio.sleep(0.3)
    assert mail_sink.transmissions() == []  # the patient asked for SMS only


async def test_a_reminder_falls_back_to_email_without_a_phone(service, publish, settings, clock, mail_sink, sms_sink):
    await publish(booked(STARTS, ("sms",), contact=patient(phone=None)))
    await eventually(lambda: len(mail_sink.transmissions()) == 1)
    clock.set(OPENING)
    service.state.reminder_scheduler.wake()
    await eventually(lambda: len(reminder_mails(mail_sink)) == 1)
    assert sms_sink.messages() == []


async def test_a_provider_failure_is_retried_with_backoff(service, publish, settings, clock, sms_sink: SmsSink):
    booking = booked(STARTS, ("sms",))
    await publish(booking)
    [row] = await planned(settings, booking.appointment_id)
    await eventually(lambda: len(sms_sink.messages()) == 1)
    sms_sink.fail_next(1, status=503)
    started = time.monotonic()
    assert await at(service, clock, OPENING) == 1
    await eventually(lambda: len(reminder_sms(sms_sink)) == 1)
    waited = time.monotonic() - started
    assert sms_sink.failures_served == 1
    assert waited >= 1.5, "the retry came before the 2 s backoff"

    async def sent() -> bool:
        rows = await fetch(settings.database_url, "SELECT status FROM deliveries WHERE event_id = $1", row["id"])
        return [r["status"] for r in rows] == ["sent"]

    await eventually(sent)
    [delivery] = await fetch(settings.database_url, "SELECT * FROM deliveries WHERE event_id = $1", row["id"])
    assert (delivery["attempts"], delivery["last_error"]) == (2, None)
