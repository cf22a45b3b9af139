"""Notices about the account: a sign-up attempt on an existing address, an email address change."""

import asyncio
import uuid

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from services.notifications.tests.integration.conftest import PORTAL, eventually, fetch
from shared.contracts.accounts import ContactChanged, RegistrationAttemptedOnExistingAccount


async def test_a_sign_up_attempt_on_an_existing_address_tells_its_owner(service, publish, mail_sink: MailSink):
    await publish(RegistrationAttemptedOnExistingAccount(channel="email", destination="lea@example.org", language="fr"))
    await eventually(lambda: len(mail_sink.messages()) == 1)
    [mail] = mail_sink.messages()
    assert mail.recipients == ["lea@example.org"]
    assert mail.subject == "Tentative d'inscription avec votre adresse courriel"
    assert "Quelqu'un a tenté de créer un compte Rendez-vous santé avec cette adresse courriel" in mail.body
    assert "connectez-vous ou réinitialisez votre mot de passe" in mail.body
    assert PORTAL in mail.body


async def test_a_citizen_account_with_a_staff_address_is_refused_by_a_message_to_that_address(
    service, publish, mail_sink: MailSink
):
    # Issue 18, finding 4: the refusal used to be in the answer to the registration, telling anyone which
    # addresses are the staff's; now only the address's owner hears of it.
    await publish(
        RegistrationAttemptedOnExistingAccount(
            channel="email", destination="commis@clinique.example", language="en", staff_account=True
        )
    )
    await eventually(lambda: len(mail_sink.messages()) == 1)
    [mail] = mail_sink.messages()
    assert mail.recipients == ["commis@clinique.example"]
    assert mail.subject == "Your staff address used for a citizen account"
    assert "It is the address of your clinic staff account" in mail.body
    assert "create your citizen account with a different (personal) address" in mail.body
    assert "An account already exists" not in mail.body


async def test_an_email_change_tells_the_old_address_with_the_new_one_masked(
    service, publish, settings, mail_sink: MailSink
):
    account_id = uuid.uuid4()
    await publish(
        ContactChanged(
            account_id=account_id,
            channel="email",
            old_destination="ancienne.adresse@example.org",
            new_destination="nouvelle.adresse@courriel.example",
            language="fr",
        )
    )
    await eventually(lambda: len(mail_sink.messages()) == 1)
    [mail] = mail_sink.messages()
    assert mail.recipients == ["ancienne.adresse@example.org"]
    assert mail.subject == "L'adresse courriel de votre compte a été changée"
    assert "a été remplacée par n***@courriel.example" in mail.body
    assert "nouvelle.adresse@" not in mail.body

    async def sent() -> bool:
        return [r["status"] for r in await fetch(settings.database_url, "SELECT status FROM deliveries")] == ["sent"]

    await eventually(sent)
    [row] = await fetch(settings.database_url, "SELECT * FROM deliveries")
    # Once sent the body is blanked; what is needed to account for the message stays.
    assert (row["kind"], row["recipient"], row["subject"], row["body"]) == (
        "email_changed",
        "ancienne.adresse@example.org",
        mail.subject,
        "",
    )
    assert (row["account_id"], row["attempts"], row["provider_message_id"]) == (account_id, 1, mail.message_id)


async def test_no_notice_for_a_phone_change_nor_a_first_email(
    service, publish, settings, mail_sink: MailSink, sms_sink: SmsSink
):
    account_id = uuid.uuid4()
    await publish(
        ContactChanged(
            account_id=account_id,
            channel="sms",
            old_destination="+15145550100",
            new_destination="+15145550199",
            language="en",
        )
    )
    await publish(
        ContactChanged(
            account_id=account_id, channel="email", old_destination=None, new_destination="a@example.org", language="en"
        )
    )
    await publish(
        RegistrationAttemptedOnExistingAccount(channel="email", destination="witness@example.org", language="en")
    )
    await eventually(lambda: len(mail_sink.messages()) == 1)
    await asyncio.sleep(0.5)
    assert [m.recipients for m in mail_sink.messages()] == [["witness@example.org"]]
    assert sms_sink.messages() == []
    assert len(await fetch(settings.database_url, "SELECT 1 FROM deliveries")) == 1
