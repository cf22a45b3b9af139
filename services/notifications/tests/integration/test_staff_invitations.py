"""Staff invitations (issue 21) reach the invited address once, with the console's link, and the link's token is
kept nowhere; the clinic's visit instructions reach the patient with the confirmation."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from services.notifications.tests.appointment_events import SERVICE, booked
from services.notifications.tests.integration.conftest import PORTAL, eventually, fetch, tables_containing
from shared.contracts.accounts import StaffInvited

TOKEN = "Xq7-invitation-secret-3f9a"


def invitation(email: str, language: str = "fr", *, expires_in: timedelta = timedelta(hours=72)) -> StaffInvited:
    return StaffInvited(
        invitation_id=uuid.uuid4(),
        email=email,
        establishment_id=uuid.uuid4(),
        role="clerk",
        language=language,
        invited_by=uuid.uuid4(),
        invited_by_role="manager",
        invitation_token=TOKEN,
        expires_at=datetime.now(UTC) + expires_in,
    )


async def test_an_invitation_is_e_mailed_once_with_its_link_and_its_token_is_kept_nowhere(
    service, publish, settings, mail_sink: MailSink
):
    invited = invitation("nouveau.commis@clinique.example")
    envelope = invited.to_envelope()
    await publish(envelope=envelope)
    await publish(envelope=envelope)  # redelivered
    # The same invitation announced again in another event: still one e-mail.
    await publish(invited)
    await eventually(lambda: len(mail_sink.transmissions()) == 1)
    await asyncio.sleep(1.0)  # a second e-mail would arrive within this time
    [mail] = mail_sink.transmissions()
    assert mail.recipients == ["nouveau.commis@clinique.example"]
    assert mail.subject == "Invitation à la console du personnel de Rendez-vous santé"
    assert f"{PORTAL}/admin/invitation?token={TOKEN}" in mail.body
    assert "comme commis" in mail.body
    assert "(heure de Montréal)" in mail.body

    rows = await fetch(settings.database_url, "SELECT kind, channel, recipient, status, body FROM deliveries")
    assert [tuple(r) for r in rows] == [
        ("staff_invited", "email", "nouveau.commis@clinique.example", "sent", "[link withheld]")
    ]
    assert await tables_containing(settings.database_url, [TOKEN]) == {}


async def test_an_invitation_already_expired_is_not_sent(service, publish, settings, mail_sink: MailSink):
    await publish(invitation("trop.tard@clinique.example", expires_in=timedelta(seconds=-1)))
    await publish(invitation("witness@clinique.example", "en"))
    await eventually(lambda: len(mail_sink.transmissions()) == 1)
    await asyncio.sleep(0.5)
    [mail] = mail_sink.transmissions()
    assert mail.recipients == ["witness@clinique.example"]
    assert mail.subject == "Invitation to the Rendez-vous santé staff console"


async def test_the_confirmation_carries_the_clinic_instructions(
    service, publish, settings, mail_sink: MailSink, sms_sink: SmsSink
):
    service_with_rules = SERVICE.model_copy(
        update={"instructions_fr": "Apportez votre carnet de vaccination.", "instructions_en": "Bring your booklet."}
    )
    booking = booked(datetime.now(UTC) + timedelta(days=3), ("email", "sms")).model_copy(
        update={"service": service_with_rules}
    )
    await publish(booking)
    await eventually(lambda: len(mail_sink.transmissions()) == 1 and len(sms_sink.messages()) == 1)
    [mail] = mail_sink.transmissions()
    [sms] = sms_sink.messages()
    assert "À apporter ou à faire avant la visite :\r\nApportez votre carnet de vaccination.\r\n" in mail.body
    assert "À apporter ou à faire avant la visite : Apportez votre carnet de vaccination. Annuler : " in sms.body
    assert "booklet" not in mail.body + sms.body
