"""A deleted account leaves no address or phone number in the notifications database, and is told once."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from services.notifications.tests.integration.conftest import eventually, fetch, tables_containing
from services.notifications.tests.integration.test_verification_codes import code_issued
from shared.contracts.accounts import AccountDeleted, ContactChanged, RegistrationAttemptedOnExistingAccount
from shared.contracts.appointments import AppointmentBooked, PatientContactV1, PlaceV1, ServiceOfferedV1

EMAIL = "Sophie.Gagnon@example.org"
PHONE = "+15145550188"
OLD_EMAIL = "sophie.ancienne@example.org"


def _booking(account_id: uuid.UUID) -> AppointmentBooked:
    starts = datetime.now(UTC) + timedelta(days=2)
    return AppointmentBooked(
        appointment_id=uuid.uuid4(),
        slot_id=uuid.uuid4(),
        account_id=account_id,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=15),
        place=PlaceV1(
            establishment_id=uuid.uuid4(),
            name="CLSC de Verdun",
            address="400, rue de l'Église",
            city="Montréal",
            postal_code="H4G 2M4",
            timezone="America/Montreal",
        ),
        service=ServiceOfferedV1(service_id=uuid.uuid4(), name_fr="Prise de sang", name_en="Blood test"),
        patient=PatientContactV1(first_name="Sophie", last_name="Gagnon", email=EMAIL, phone=PHONE),
        language="fr",
        manage_token="secret-cancel-token",
    )


async def _statuses(database_url: str) -> list[str]:
    return sorted(r["status"] for r in await fetch(database_url, "SELECT status FROM deliveries"))


async def test_account_deletion_erases_the_person_and_sends_one_confirmation(
    service, publish, settings, mail_sink: MailSink, sms_sink: SmsSink
):
    account_id = uuid.uuid4()
    # A history: a booking, a code by SMS, the old address told of a change, a sign-up attempt...
    await publish(_booking(account_id))
    await publish(code_issued("sms", PHONE, "fr", "246810"))
    await publish(
        ContactChanged(
            account_id=account_id, channel="email", old_destination=OLD_EMAIL, new_destination=EMAIL, language="fr"
        )
    )
    await publish(RegistrationAttemptedOnExistingAccount(channel="email", destination=EMAIL.lower(), language="fr"))
    await eventually(lambda: len(mail_sink.messages()) == 3 and len(sms_sink.messages()) == 1)
    await eventually(lambda: _all_sent(settings.database_url, 4))
    # ...and a message still waiting, its provider down: it must not go out after the deletion.
    sms_sink.fail_next(1000)
    await publish(RegistrationAttemptedOnExistingAccount(channel="sms", destination=PHONE, language="fr"))

    async def waiting() -> bool:
        rows = await fetch(settings.database_url, "SELECT 1 FROM deliveries WHERE status = 'pending' AND attempts > 0")
        return len(rows) == 1

    await eventually(waiting)
    assert await tables_containing(settings.database_url, [EMAIL, PHONE, OLD_EMAIL]) != {}
    mail_sink.clear()

    deletion = AccountDeleted(account_id=account_id, dependant_ids=[], email=EMAIL, phone=PHONE, language="fr")
    envelope = deletion.to_envelope()
    await publish(envelope=envelope)
    await publish(envelope=envelope)  # redelivered: still one confirmation

    await eventually(lambda: len(mail_sink.messages()) == 1)
    await asyncio.sleep(1.0)
    [confirmation] = mail_sink.transmissions()
    assert confirmation.recipients == [EMAIL]
    assert confirmation.subject == "Votre compte Rendez-vous santé a été supprimé"
    assert "Ce message est le dernier que vous recevrez au sujet de ce compte" in confirmation.body

    assert (
        await tables_containing(settings.database_url, [EMAIL, PHONE, OLD_EMAIL, "Gagnon", "secret-cancel-token"]) == {}
    )
    rows = await fetch(settings.database_url, "SELECT * FROM deliveries ORDER BY created_at")
    assert {r["recipient"] for r in rows} == {"[erased]"}
    assert {r["account_id"] for r in rows} == {None}
    assert await _statuses(settings.database_url) == ["cancelled", "sent", "sent", "sent", "sent", "sent"]
    [logged] = [r for r in rows if r["kind"] == "account_deleted"]
    assert (logged["channel"], logged["status"], logged["provider_message_id"]) == (
        "email",
        "sent",
        confirmation.message_id,
    )
    sms_sink.fail_next(0)
    await asyncio.sleep(2.5)  # the cancelled message's retry time has passed: nothing more goes out
    assert len(sms_sink.messages()) == 1


async def test_without_an_email_the_confirmation_goes_by_sms(service, publish, settings, sms_sink: SmsSink):
    await publish(code_issued("sms", PHONE, "en", "135790"))
    await eventually(lambda: len(sms_sink.messages()) == 1)
    await publish(AccountDeleted(account_id=uuid.uuid4(), dependant_ids=[], email=None, phone=PHONE, language="en"))
    await eventually(lambda: len(sms_sink.messages()) == 2)
    confirmation = sms_sink.messages()[1]
    assert confirmation.to == PHONE
    assert confirmation.body.startswith("Rendez-vous santé – Your account was deleted")
    await eventually(lambda: _all_sent(settings.database_url, 2))
    assert await tables_containing(settings.database_url, [PHONE]) == {}


async def _all_sent(database_url: str, count: int) -> bool:
    return await _statuses(database_url) == ["sent"] * count
