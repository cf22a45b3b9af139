"""A booking without an account, through the gateway, ends as one confirmation email in the SMTP sink."""

import asyncio
import re
import time
from zoneinfo import ZoneInfo

import aio_pika
import httpx
from babel.dates import format_date

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import run_sync
from shared.bus import events_exchange_name
from shared.contracts.appointments import AppointmentBooked
from shared.messages import EventEnvelope
from tests.e2e.conftest import Catalogue, booking, db_counts
from tests.e2e.forms import submit


def test_anonymous_booking_sends_exactly_one_confirmation_email(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink
):
    started = time.monotonic()
    body = booking(catalogue.open_slot)
    response = httpx.post(f"{system.config.url('gateway')}/api/appointments", json=body)
    assert response.status_code == 201, response.text
    appointment = response.json()
    assert response.headers["x-correlation-id"]

    mail_sink.wait_for_recipient(body["email"], timeout=10)
    latency = time.monotonic() - started
    time.sleep(0.5)  # a duplicate would arrive within this time
    mails = [m for m in mail_sink.transmissions() if body["email"] in m.recipients]
    assert len(mails) == 1
    mail = mails[0]
    assert mail.recipients == [body["email"]]
    assert mail.subject == "Rendez-vous confirmé : Prise de sang, " + _fr_date(catalogue) + " à 10 h 30"
    # Booked without an account: the names typed never reach the address (issue 18, finding 6).
    assert mail.body.startswith("Bonjour,\r\n")
    assert "Marie" not in mail.body
    assert "Tremblay" not in mail.body
    assert "Heure : 10 h 30" in mail.body
    assert "Clinique Test Rosemont" in mail.body
    assert "5689, boulevard Rosemont, Montréal H1T 2H1" in mail.body
    cancel_url = re.search(r"http://\S+/appointments/(\S+)/cancel\?token=(\S+)", mail.body)
    assert cancel_url is not None
    assert cancel_url.group(1) == appointment["id"]
    print(f"booking-to-email latency: {latency * 1000:.0f} ms")


def _fr_date(catalogue: Catalogue) -> str:
    local = catalogue.open_slot_starts_at.astimezone(ZoneInfo("America/Montreal"))
    return format_date(local, format="full", locale="fr_CA")


def test_confirmation_is_in_english_on_request(system: Supervisor, catalogue: Catalogue, mail_sink: MailSink):
    body = booking(catalogue.open_slot, language="en")
    response = httpx.post(f"{system.config.url('gateway')}/api/appointments", json=body)
    assert response.status_code == 201, response.text
    [mail] = mail_sink.wait_for_recipient(body["email"])
    assert mail.subject.startswith("Appointment confirmed: Blood test, ")
    assert "Time: 10:30\u202fa.m." in mail.body  # CLDR puts a narrow no-break space before a.m.
    assert "To cancel this appointment, open this link:" in mail.body


def test_the_cancel_link_of_the_email_cancels_and_frees_the_seat(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink
):
    gateway = system.config.url("gateway")
    body = booking(catalogue.open_slot)
    assert httpx.post(f"{gateway}/api/appointments", json=body).status_code == 201
    [mail] = mail_sink.wait_for_recipient(body["email"])
    link = re.search(r"(http://\S+/cancel\?token=\S+)", mail.body).group(1)
    browser = httpx.Client()
    page = browser.get(link)
    assert page.status_code == 200
    # The page says which appointment the link is for before asking.
    assert "Annuler ce rendez-vous" in page.text
    assert "Prise de sang" in page.text
    assert "Clinique Test Rosemont" in page.text
    assert "Oui, annuler le rendez-vous" in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    done = submit(browser, page, link.split("?")[0], {"token": token})
    assert done.status_code == 200
    assert "Rendez-vous annulé" in done.text
    assert run_sync(db_counts(system))["booked_seats"] == 1  # only the pre-filled full slot remains
    # The link stops working once the appointment is cancelled (issue 18, finding 12): a second use finds nothing.
    again = submit(browser, page, link.split("?")[0], {"token": token})
    assert again.status_code == 404
    assert "Ce lien ne fonctionne plus" in again.text
    reopened = browser.get(link)
    assert reopened.status_code == 404
    assert "Ce lien ne fonctionne plus" in reopened.text
    assert "<button" not in reopened.text.split('id="main-content"')[1]


def test_the_same_event_delivered_twice_sends_one_email(system: Supervisor, catalogue: Catalogue, mail_sink: MailSink):
    exchange_name = events_exchange_name(system.config.bus_namespace)

    body = booking(catalogue.open_slot)

    async def book_and_redeliver() -> None:
        connection = await aio_pika.connect(system.config.amqp_url)
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(exchange_name)
        spy = await channel.declare_queue(exclusive=True)
        for key in AppointmentBooked.binding_keys():
            await spy.bind(exchange, key)
        async with httpx.AsyncClient() as client:
            response = await client.post(f"{system.config.url('gateway')}/api/appointments", json=body)
        assert response.status_code == 201
        message = await spy.get(fail=False)
        for _ in range(50):
            if message is not None:
                break
            await asyncio.sleep(0.1)
            message = await spy.get(fail=False)
        assert message is not None, "the booking event was not published"
        envelope = EventEnvelope.model_validate_json(message.body)
        await exchange.publish(
            aio_pika.Message(message.body, message_id=str(envelope.id)), message.routing_key, mandatory=True
        )
        await connection.close()

    run_sync(book_and_redeliver())
    mail_sink.wait_for_recipient(body["email"])
    time.sleep(1.5)
    assert len([m for m in mail_sink.transmissions() if body["email"] in m.recipients]) == 1
