"""Verification codes, sign-up attempt, email change and deletion messages, in French and English."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.rendering import (
    CODE_PURPOSES,
    account_deletion_confirmation,
    email_changed_notice,
    registration_attempt_notice,
    verification_code,
)
from services.notifications.rules import minutes_left
from shared.contracts.accounts import ContactChanged
from shared.contracts.verification import CodeIssued

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def _code(channel: str, language: str, purpose: str = "change_phone", expires_in: timedelta = timedelta(minutes=10)):
    return CodeIssued(
        challenge_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        purpose=purpose,
        channel=channel,
        destination="+15145550123" if channel == "sms" else "marie@example.org",
        language=language,
        code="123456",
        expires_at=NOW + expires_in,
    )


def test_french_sms_code_is_the_short_sentence_with_its_purpose():
    message = verification_code(_code("sms", "fr"), NOW)
    assert message.subject == ""
    assert message.body == (
        "Rendez-vous santé – Votre code de vérification pour changer votre numéro de cellulaire : 123456. "
        "Il expire dans 10 minutes. Ne le communiquez à personne."
    )


def test_english_sms_code():
    message = verification_code(_code("sms", "en", "activate_account"), NOW)
    assert message.body == (
        "Rendez-vous santé – Your verification code to activate your account: 123456. "
        "It expires in 10 minutes. Do not share it with anyone."
    )


@pytest.mark.parametrize("language", ["fr", "en"])
def test_email_code_keeps_the_code_out_of_the_subject(language):
    message = verification_code(_code("email", language, "reset_password"), NOW)
    assert "123456" not in message.subject
    assert message.subject
    assert "    123456\n" in message.body
    assert CODE_PURPOSES["reset_password"][language] in message.body
    assert "10 minutes" in message.body
    assert ("personne" if language == "fr" else "anyone") in message.body


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("purpose", sorted(CODE_PURPOSES))
def test_every_purpose_is_said_in_words_in_both_languages(purpose, language):
    body = verification_code(_code("sms", language, purpose), NOW).body
    assert CODE_PURPOSES[purpose][language] in body
    assert purpose not in body  # never the internal name
    assert len(body) <= 200  # two SMS segments at most, accents included


def test_minutes_left_rounds_to_the_nearest_minute_and_is_zero_once_expired():
    assert minutes_left(NOW + timedelta(minutes=10), NOW) == 10
    assert minutes_left(NOW + timedelta(minutes=9, seconds=50), NOW) == 10
    assert minutes_left(NOW + timedelta(seconds=20), NOW) == 1
    assert minutes_left(NOW, NOW) == 0
    assert minutes_left(NOW - timedelta(minutes=1), NOW) == 0


def test_one_minute_left_is_singular():
    assert "dans 1 minute." in verification_code(_code("sms", "fr", expires_in=timedelta(seconds=50)), NOW).body
    assert "in 1 minute." in verification_code(_code("sms", "en", expires_in=timedelta(seconds=50)), NOW).body


def test_registration_attempt_notice_points_to_login_and_password_reset():
    fr = registration_attempt_notice("email", "fr", "https://portail.example")
    assert fr.subject == "Tentative d'inscription avec votre adresse courriel"
    assert "connectez-vous ou réinitialisez votre mot de passe" in fr.body
    assert "https://portail.example" in fr.body
    en = registration_attempt_notice("email", "en", "https://portail.example")
    assert "log in or reset your password" in en.body
    sms = registration_attempt_notice("sms", "fr", "https://portail.example")
    assert sms.subject == ""
    assert sms.body.startswith("Rendez-vous santé – Quelqu'un a tenté de créer un compte avec ce numéro")


@pytest.mark.parametrize(
    ("language", "said"), [("fr", "a été remplacée par n***@example.org"), ("en", "changed to n***@")]
)
def test_email_change_notice_shows_the_new_address_masked(language, said):
    event = ContactChanged(
        account_id=uuid.uuid4(),
        channel="email",
        old_destination="ancienne@example.org",
        new_destination="nouvelle@example.org",
        language=language,
    )
    message = email_changed_notice(event, "https://portail.example")
    assert said in message.body
    assert "nouvelle@example.org" not in message.body + message.subject


def test_deletion_confirmation_by_email_and_by_sms():
    assert account_deletion_confirmation("email", "fr").subject == "Votre compte Rendez-vous santé a été supprimé"
    assert account_deletion_confirmation("email", "en").subject == "Your Rendez-vous santé account was deleted"
    sms = account_deletion_confirmation("sms", "en")
    assert sms.subject == ""
    assert sms.body == (
        "Rendez-vous santé – Your account was deleted, along with the information linked to it. "
        "This is the last text about it."
    )
