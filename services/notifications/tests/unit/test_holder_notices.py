"""The notice a holder gets when the NAM a clinic read on their card is not the one in their account."""

import re
import uuid

import pytest

from services.notifications.rendering import holder_notice
from shared.contracts.accounts import HolderNoticeRequested


def notice(channel: str, language: str) -> HolderNoticeRequested:
    return HolderNoticeRequested(
        notice_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        topic="nam_discrepancy",
        channel=channel,
        destination="thomas@example.org" if channel == "email" else "+15145550123",
        language=language,
    )


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        ("fr", "Vérifiez le numéro d'assurance maladie de votre compte", "n'a été lié à aucun autre"),
        ("en", "Check the health insurance number in your account", "was not linked to any other"),
    ],
)
def test_the_email_asks_the_holder_to_check_their_nam(language: str, subject: str, words: str):
    message = holder_notice(notice("email", language), "https://rdv.example")
    assert message.subject == subject
    assert words in message.body
    assert "https://rdv.example/account" in message.body
    assert "refus" not in message.body  # not the association-refused text of the fallback branch


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_sms_fits_one_message(language: str):
    body = holder_notice(notice("sms", language), "https://rdv.example").body
    assert "NAM" in body or "health insurance" in body
    assert len(re.sub(r"https?://\S+", "", body)) <= 160
