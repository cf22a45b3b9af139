"""Verification codes reach the citizen by email and by SMS, once, and are kept nowhere."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from devstack.mail_sink import MailSink
from devstack.sms_sink import SmsSink
from services.notifications.tests.integration.conftest import SMS_SENDER, eventually, fetch, tables_containing
from shared.contracts.accounts import RegistrationAttemptedOnExistingAccount
from shared.contracts.verification import CodeIssued


def code_issued(channel: str, destination: str, language: str, code: str, purpose: str = "change_email") -> CodeIssued:
    return CodeIssued(
        challenge_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        purpose=purpose,
        channel=channel,
        destination=destination,
        language=language,
        code=code,
        expires_at=datetime.now(UTC) + timedelta(minutes=10),
    )


async def test_codes_arrive_by_email_and_sms_in_both_languages_and_are_stored_nowhere(
    service, publish, settings, mail_sink: MailSink, sms_sink: SmsSink
):
    await publish(code_issued("email", "marie@example.org", "fr", "481516"))
    await publish(code_issued("email", "john@example.org", "en", "234223", purpose="reset_password"))
    await publish(code_issued("sms", "+15145550111", "fr", "908172", purpose="change_phone"))
    await publish(code_issued("sms", "+15145550122", "en", "635241", purpose="activate_account"))

    await eventually(lambda: len(mail_sink.messages()) == 2 and len(sms_sink.messages()) == 2)
    mails = {mail.recipients[0]: mail for mail in mail_sink.messages()}
    marie, john = mails["marie@example.org"], mails["john@example.org"]
    assert marie.subject == "Votre code de vérification Rendez-vous santé"
    assert "pour changer votre adresse courriel :\r\n\r\n    481516\r\n" in marie.body
    assert "Il expire dans 10 minutes. Ne le communiquez à personne" in marie.body
    assert john.subject == "Your Rendez-vous santé verification code"
    assert "to reset your password:\r\n\r\n    234223\r\n" in john.body
    assert "It expires in 10 minutes. Do not share it with anyone" in john.body
    texts = {sms.to: sms for sms in sms_sink.messages()}
    assert texts["+15145550111"].body == (
        "Rendez-vous santé – Votre code de vérification pour changer votre numéro de cellulaire : 908172. "
        "Il expire dans 10 minutes. Ne le communiquez à personne. Aide : https://portail.example/help?lang=fr"
    )
    assert texts["+15145550122"].body == (
        "Rendez-vous santé – Your verification code to activate your account: 635241. "
        "It expires in 10 minutes. Do not share it with anyone. Help: https://portail.example/help?lang=en"
    )
    assert {sms.sender for sms in texts.values()} == {SMS_SENDER}

    async def all_logged() -> bool:
        return len(await fetch(settings.database_url, "SELECT 1 FROM deliveries WHERE status = 'sent'")) == 4

    await eventually(all_logged)
    rows = await fetch(settings.database_url, "SELECT * FROM deliveries ORDER BY channel, recipient")
    assert {(r["channel"], r["recipient"], r["body"], r["attempts"]) for r in rows} == {
        ("email", "john@example.org", "[code withheld]", 1),
        ("email", "marie@example.org", "[code withheld]", 1),
        ("sms", "+15145550111", "[code withheld]", 1),
        ("sms", "+15145550122", "[code withheld]", 1),
    }
    # The provider ids are what the providers answered: the Message-ID, and the SMS provider's id.
    assert {r["provider_message_id"] for r in rows if r["channel"] == "sms"} == {s.id for s in sms_sink.messages()}
    assert {r["provider_message_id"] for r in rows if r["channel"] == "email"} == {
        m.message_id for m in mail_sink.messages()
    }
    assert await tables_containing(settings.database_url, ["481516", "234223", "908172", "635241"]) == {}


async def test_a_failing_sms_provider_is_retried_until_the_code_is_sent_once(
    service, publish, settings, sms_sink: SmsSink
):
    sms_sink.fail_next(2, status=500)
    await publish(code_issued("sms", "+15145550133", "fr", "777001"))
    await eventually(lambda: len(sms_sink.messages()) == 1, timeout=20)
    await asyncio.sleep(1.0)  # a second sending would arrive within this time
    assert sms_sink.failures_served == 2
    assert sms_sink.transmissions() == 1
    assert "777001" in sms_sink.messages()[0].body
    rows = await fetch(settings.database_url, "SELECT status, body FROM deliveries")
    assert [(r["status"], r["body"]) for r in rows] == [("sent", "[code withheld]")]
    assert await tables_containing(settings.database_url, ["777001"]) == {}


async def test_a_queued_sms_is_retried_by_the_dispatcher_with_backoff_then_sent_once(
    service, publish, settings, sms_sink: SmsSink
):
    sms_sink.fail_next(1, status=502)
    await publish(RegistrationAttemptedOnExistingAccount(channel="sms", destination="+15145550144", language="en"))
    await eventually(lambda: len(sms_sink.messages()) == 1, timeout=20)
    [sms] = sms_sink.messages()
    assert sms.body.startswith("Rendez-vous santé – Someone tried to create an account with this number")

    async def sent() -> bool:
        rows = await fetch(settings.database_url, "SELECT status FROM deliveries")
        return [r["status"] for r in rows] == ["sent"]

    await eventually(sent)
    [row] = await fetch(settings.database_url, "SELECT * FROM deliveries")
    assert (row["attempts"], row["provider_message_id"], row["body"], row["last_error"]) == (2, sms.id, "", None)
    assert sms_sink.failures_served == 1
    assert sms_sink.transmissions() == 1


async def test_the_same_code_event_delivered_twice_sends_one_code(service, publish, settings, sms_sink: SmsSink):
    envelope = code_issued("sms", "+15145550155", "en", "112358").to_envelope()
    await publish(envelope=envelope)
    await publish(envelope=envelope)
    await eventually(lambda: len(sms_sink.messages()) == 1)
    await asyncio.sleep(1.0)
    assert sms_sink.transmissions() == 1
    assert len(await fetch(settings.database_url, "SELECT 1 FROM deliveries")) == 1


async def test_an_expired_code_is_not_sent(service, publish, settings, sms_sink: SmsSink, mail_sink: MailSink):
    stale = code_issued("sms", "+15145550166", "fr", "999000").model_copy(
        update={"expires_at": datetime.now(UTC) - timedelta(seconds=1)}
    )
    await publish(stale)
    await publish(code_issued("sms", "+15145550177", "fr", "999111"))  # processed after it: a witness
    await eventually(lambda: len(sms_sink.messages()) == 1)
    await asyncio.sleep(0.5)
    assert [sms.to for sms in sms_sink.messages()] == ["+15145550177"]
