"""Issue 22, item 5: a booking made without an account gets its calendar file (.ics) through its manage link, as an
account's booking does from the account: the confirmation e-mail links it, and so does the page its manage link
opens, both by the link's token; a wrong token answers the page that says the link no longer works."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import httpx
from icalendar import Calendar

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from tests.e2e.conftest import Catalogue, booking

CALENDAR_LINK = re.compile(r'href="(/appointments/[^"]+/calendar\.ics\?token=[^"]+)" download>Ajouter à mon agenda')
LINK = r"(http://\S+/appointments/{id}/{action}\?token=\S+)"


def _parse(answer: httpx.Response, catalogue: Catalogue) -> None:
    """The file is the appointment: its start (to the second, in UTC) and its place."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(answer.content).walk("VEVENT")
    assert event.decoded("dtstart") == catalogue.open_slot_starts_at
    assert "Clinique Test Rosemont" in str(event["location"])
    assert "5689, boulevard Rosemont" in str(event["location"])
    assert str(event["status"]) == "CONFIRMED"


def test_the_ics_through_the_emails_links_and_the_manage_page(
    system: Supervisor, catalogue: Catalogue, mail_sink: MailSink
):
    gateway = system.config.url("gateway")
    body = booking(catalogue.open_slot)
    booked = httpx.post(f"{gateway}/api/appointments", json=body)
    assert booked.status_code == 201, booked.text
    appointment_id = booked.json()["id"]
    [mail] = mail_sink.wait_for_recipient(body["email"], timeout=10)
    assert "Ajouter à mon agenda (.ics) :" in mail.body

    with httpx.Client(timeout=10) as client:
        # The e-mail's own calendar link.
        from_mail = re.search(LINK.format(id=appointment_id, action=r"calendar\.ics"), mail.body)
        assert from_mail is not None, mail.body
        _parse(client.get(from_mail.group(1)), catalogue)

        # The manage link the e-mail carries opens a page that offers the file too, by the same token.
        manage = re.search(LINK.format(id=appointment_id, action="cancel"), mail.body)
        assert manage is not None
        page = client.get(manage.group(1))
        assert page.status_code == 200
        href = re.search(
            r'href="(/appointments/[^"]+/calendar\.ics\?token=[^"]+)" download>Ajouter à mon agenda', page.text
        )
        assert href is not None, page.text
        _parse(client.get(gateway + html.unescape(href.group(1))), catalogue)

        # A wrong token: the page that says the link no longer works, not the file nor an error.
        wrong = client.get(f"{gateway}/appointments/{appointment_id}/calendar.ics", params={"token": "x" * 43})
        assert wrong.status_code == 404
        assert wrong.headers["content-type"].startswith("text/html")
        assert "Ce lien ne fonctionne plus" in wrong.text
        missing = client.get(f"{gateway}/appointments/{appointment_id}/calendar.ics")
        assert missing.status_code == 404

        # Cancelled by its link, the appointment gives no file any more: the e-mail's link says so in a page.
        token = parse_qs(urlsplit(from_mail.group(1)).query)["token"][0]
        cancelled = client.post(f"{gateway}/api/appointments/{appointment_id}/cancel", json={"token": token})
        assert cancelled.status_code == 200, cancelled.text
        spent = client.get(from_mail.group(1))
        assert spent.status_code == 404
        assert "Ce lien ne fonctionne plus" in spent.text
