"""Booking confirmations go to each channel the patient chose, and only there."""

import asyncio
from datetime import UTC, datetime, timedelta

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from services.notifications.tests.appointment_events import EMAIL, PHONE, booked, cancelled, patient
from services.notifications.tests.integration.conftest import eventually, fetch


def soon() -> datetime:
    return datetime.now(UTC) + timedelta(days=3)


async def test_a_booking_is_confirmed_by_email_and_sms_when_both_are_chosen(
    service, publish, settings, mail_sink: MailSink, sms_sink: SmsSink
):
    booking = booked(soon(), ("email", "sms"), manage_token="tok-both")
    await publish(booking)
    await eventually(lambda: len(mail_sink.transmissions()) == 1 and len(sms_sink.messages()) == 1)
    [mail] = mail_sink.transmissions()
    [sms] = sms_sink.messages()
    assert mail.recipients == [EMAIL]
    assert mail.subject.startswith("Rendez-vous confirmé : Prise de sang, ")
    assert sms.to == PHONE
    assert sms.body.startswith("Rendez-vous santé – RDV confirmé : Prise de sang, ")
    assert sms.body.endswith(
        f"/appointments/{booking.appointment_id}/cancel?token=tok-both Aide : https://portail.example/help?lang=fr"
    )

    async def both_sent() -> bool:
        rows = await fetch(settings.database_url, "SELECT channel, status, body FROM deliveries ORDER BY channel")
        return [tuple(r) for r in rows] == [("email", "sent", ""), ("sms", "sent", "")]

    await eventually(both_sent)


async def test_a_patient_without_contact_gets_nothing_and_no_reminder_is_planned(
    service, publish, settings, mail_sink: MailSink, sms_sink: SmsSink
):
    witness = booked(soon())
    await publish(booked(soon(), ("email", "sms"), contact=patient(email=None, phone=None)))
    await publish(witness)
    await eventually(lambda: len(mail_sink.transmissions()) == 1)
    await asyncio.sleep(0.3)
    assert sms_sink.messages() == []
    rows = await fetch(settings.database_url, "SELECT appointment_id FROM reminders")
    assert [r["appointment_id"] for r in rows] == [witness.appointment_id]


async def test_a_booking_delivered_twice_is_confirmed_once_with_one_reminder(
    service, publish, settings, mail_sink: MailSink
):
    booking = booked(soon(), manage_token="tok-twice")
    envelope = booking.to_envelope(correlation_id="c-twice")
    await publish(envelope=envelope)
    await publish(envelope=envelope)
    witness = booked(soon())
    await publish(witness)
    await eventually(lambda: len(mail_sink.transmissions()) == 2)
    await asyncio.sleep(0.3)
    assert len(mail_sink.transmissions()) == 2
    deliveries = await fetch(
        settings.database_url, "SELECT event_id, kind FROM deliveries WHERE event_id = $1", envelope.id
    )
    assert [tuple(r) for r in deliveries] == [(envelope.id, "appointment_booked")]
    reminders = await fetch(
        settings.database_url,
        "SELECT source_event_id, destinations, details->>'first_name' AS name, manage_token FROM reminders "
        "WHERE appointment_id = $1",
        booking.appointment_id,
    )
    # Booked without an account: its messages, reminders included, name nobody (issue 18, finding 6).
    assert [(r["source_event_id"], r["name"], r["manage_token"]) for r in reminders] == [(envelope.id, "", "tok-twice")]


async def test_a_booking_overtaken_by_its_cancellation_sends_no_confirmation_and_plans_nothing(
    service, publish, settings, mail_sink: MailSink
):
    booking = booked(soon(), manage_token="tok-late")
    booked_envelope = booking.to_envelope(correlation_id="c-late")
    cancel_envelope = (
        cancelled(booking)
        .to_envelope(correlation_id="c-late")
        .model_copy(update={"occurred_at": booked_envelope.occurred_at + timedelta(seconds=5)})
    )
    await publish(envelope=cancel_envelope)  # e.g. the booking's message was requeued behind its cancellation
    await eventually(lambda: len(mail_sink.transmissions()) == 1)
    await publish(envelope=booked_envelope)
    witness = booked(soon())
    await publish(witness)
    await eventually(lambda: len(mail_sink.transmissions()) == 2)
    await asyncio.sleep(0.3)
    kinds = await fetch(
        settings.database_url,
        "SELECT kind FROM deliveries WHERE event_id = ANY($1::uuid[])",
        [booked_envelope.id, cancel_envelope.id],
    )
    assert [r["kind"] for r in kinds] == ["appointment_cancelled"]
    planned = await fetch(
        settings.database_url, "SELECT 1 FROM reminders WHERE appointment_id = $1", booking.appointment_id
    )
    assert planned == []
    [version] = await fetch(
        settings.database_url,
        "SELECT state FROM appointment_versions WHERE appointment_id = $1",
        booking.appointment_id,
    )
    assert version["state"] == "cancelled"


async def test_a_surge_of_bookings_recorded_together_confirms_each_once_and_still_skips_the_stale_one(
    service, publish, settings, mail_sink: MailSink
):
    """Bookings arriving together are recorded in runs (one round trip each, shared.consumer); each statement
    still sees the ones before it, and a booking overtaken by its cancellation in the middle of a run is
    skipped as it is alone."""
    stale = booked(soon(), manage_token="tok-stale")
    stale_envelope = stale.to_envelope()
    cancel_envelope = (
        cancelled(stale)
        .to_envelope()
        .model_copy(update={"occurred_at": stale_envelope.occurred_at + timedelta(seconds=5)})
    )
    await publish(envelope=cancel_envelope)
    await eventually(lambda: len(mail_sink.transmissions()) == 1)
    surge = [booked(soon(), contact=patient(email=f"surge{n}@example.org")) for n in range(40)]
    await asyncio.gather(
        *(publish(booking) for booking in surge[:20]),
        publish(envelope=stale_envelope),
        *(publish(booking) for booking in surge[20:]),
    )
    await eventually(lambda: len(mail_sink.transmissions()) == 41, timeout=30)
    await asyncio.sleep(0.3)
    recipients = sorted(r for mail in mail_sink.transmissions() for r in mail.recipients)
    assert recipients == sorted([EMAIL, *(f"surge{n}@example.org" for n in range(40))])
    kinds = await fetch(settings.database_url, "SELECT kind FROM deliveries WHERE event_id = $1", stale_envelope.id)
    assert kinds == []
    planned = await fetch(settings.database_url, "SELECT count(DISTINCT appointment_id) AS n FROM reminders")
    assert planned[0]["n"] == 40
