"""The clinic's instructions for the visit (issue 21) in the confirmation and reschedule notices and, since issue
22's follow-up, the reminder of a lone appointment (the grouped reminder lists them under each appointment),
e-mail and SMS, in the message's language, and nothing about them when the clinic wrote none in that language."""

from datetime import UTC, datetime

import pytest

from services.notifications.appointment_messages import booking_confirmation, reminder, reschedule_notice
from services.notifications.rules import AppointmentDetails
from services.notifications.tests.appointment_events import SERVICE, booked, rescheduled

PORTAL = "https://portail.example"
STARTS = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
MOVED_TO = datetime(2026, 12, 8, 19, 0, tzinfo=UTC)
FR = "Apportez votre carnet de vaccination.\nSoyez à jeun depuis minuit"
EN = "Bring your vaccination booklet.\nDo not eat after midnight"
HEADING = {"fr": "À apporter ou à faire avant la visite :", "en": "Before your visit:"}
WRITTEN = {"fr": FR, "en": EN}
OTHER = {"fr": EN, "en": FR}


def with_instructions(language: str, fr: str | None = FR, en: str | None = EN, event=None):
    service = SERVICE.model_copy(update={"instructions_fr": fr, "instructions_en": en})
    return (event or booked(STARTS, language=language)).model_copy(update={"service": service})


def messages(event, channel: str):
    moved = rescheduled(event, MOVED_TO, "new-token")
    return [
        booking_confirmation(event, PORTAL, channel),
        reschedule_notice(moved, PORTAL, channel, named=False),
        reminder(AppointmentDetails.of(event, named=True), "token", PORTAL, channel),
    ]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_emails_give_the_instructions_under_their_heading_in_the_message_language(language):
    for email in messages(with_instructions(language), "email"):
        assert f"\n\n{HEADING[language]}\n{WRITTEN[language]}\n\n" in email.body
        assert OTHER[language].splitlines()[0] not in email.body
        # Before the links, after the place: read with the appointment's details.
        assert email.body.index(HEADING[language]) < email.body.index("cancel?token=")
        assert email.body.index("H4G 2M4") < email.body.index(HEADING[language])


@pytest.mark.parametrize("language", ["fr", "en"])
def test_sms_give_the_instructions_on_one_line_before_the_cancel_link(language):
    for sms in messages(with_instructions(language), "sms"):
        one_line = " ".join(WRITTEN[language].split()) + "."
        assert f"{HEADING[language]} {one_line} " in sms.body
        assert "\n" not in sms.body
        assert sms.body.index(one_line) < sms.body.index("cancel?token=")
        assert OTHER[language].splitlines()[0] not in sms.body


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("channel", ["email", "sms"])
def test_without_instructions_in_the_message_language_the_messages_are_as_before(language, channel):
    plain = booked(STARTS, language=language)
    # The other language's only (blank counts as none): nothing is said rather than a text the patient did not choose.
    written = {"fr": None, "en": EN} if language == "fr" else {"fr": FR, "en": "  "}
    only_other = with_instructions(language, fr=written["fr"], en=written["en"], event=plain)
    for expected, got in zip(messages(plain, channel), messages(only_other, channel), strict=True):
        assert got == expected
        assert HEADING[language] not in got.body


def test_the_heading_is_absent_without_instructions_and_spacing_is_unchanged():
    email = booking_confirmation(booked(STARTS), PORTAL, "email")
    # One blank line after the address, then the calendar file's link (issue 22), then the cancel link.
    assert "H4G 2M4\n\nAjouter à mon agenda (.ics) :\nhttp" in email.body
    assert "\n\nPour annuler ce rendez-vous" in email.body
    sms = booking_confirmation(booked(STARTS), PORTAL, "sms")
    assert "Montréal. Annuler : " in sms.body


# Behaviour changed on purpose (issue 22 follow-up): a lone reminder used to leave the instructions out while a
# grouped one listed them; both now give them, under the appointment and before its links.
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_lone_reminder_gives_the_instructions_under_the_appointment(language):
    details = AppointmentDetails.of(with_instructions(language), named=True)
    email = reminder(details, "token", PORTAL, "email")
    assert f"H4G 2M4\n\n{HEADING[language]}\n{WRITTEN[language]}\n\n" in email.body
    assert email.body.index(HEADING[language]) < email.body.index("confirm?token=")
    sms = reminder(details, "token", PORTAL, "sms")
    assert f"CLSC de Verdun. {HEADING[language]} {' '.join(WRITTEN[language].split())}. " in sms.body
    assert sms.body.index(HEADING[language]) < sms.body.index("confirm?token=")


def test_a_lone_reminder_without_instructions_has_no_empty_heading():
    email = reminder(AppointmentDetails.of(booked(STARTS), named=True), "token", PORTAL, "email")
    assert HEADING["fr"] not in email.body
    # One blank line after the address, then the confirm link, as before instructions were given.
    assert "H4G 2M4\n\nPour confirmer votre présence :\nhttp" in email.body
    sms = reminder(AppointmentDetails.of(booked(STARTS, language="en"), named=True), "token", PORTAL, "sms")
    assert HEADING["en"] not in sms.body
    assert "CLSC de Verdun. Confirm: http" in sms.body
