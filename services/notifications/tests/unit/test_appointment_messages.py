"""Appointment messages in FR/EN, by email and SMS: what each says and which links it carries."""

import re
import uuid
from datetime import UTC, datetime

import pytest

from services.notifications.appointment_messages import (
    booking_confirmation,
    cancellation_notice,
    reminder,
    reschedule_notice,
)
from services.notifications.rules import AppointmentDetails
from services.notifications.tests.appointment_events import booked, cancelled, rescheduled

PORTAL = "https://portail.example"
STARTS = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # 10:30 in Montreal
ID = uuid.UUID("00000000-0000-0000-0000-000000000001")
LINKS = f"{PORTAL}/appointments/{ID}"


def short(sms_body: str) -> bool:
    """The words of an SMS, links aside, fit in one 160-character message."""
    return len(re.sub(r"https?://\S+", "", sms_body)) <= 160


def test_sms_confirmation_is_short_with_date_place_and_cancel_link():
    fr = booking_confirmation(booked(STARTS, appointment_id=ID), PORTAL, "sms")
    assert fr.subject == ""
    assert fr.body.startswith("Rendez-vous santé – RDV confirmé : Prise de sang, mardi 1 décembre 2026 à 10 h 30")
    assert "CLSC de Verdun" in fr.body
    assert fr.body.endswith(f"Annuler : {LINKS}/cancel?token=manage-token-1")
    en = booking_confirmation(booked(STARTS, appointment_id=ID, language="en"), PORTAL, "sms")
    assert en.body.startswith("Rendez-vous santé – Appointment confirmed: Blood test, Tuesday, December 1, 2026")
    assert short(fr.body)
    assert short(en.body)


def test_email_confirmation_is_unchanged_by_default():
    event = booked(STARTS)
    assert booking_confirmation(event, PORTAL) == booking_confirmation(event, PORTAL, "email")


FR_CANCELLED = "Rendez-vous annulé : Prise de sang, mardi 1 décembre 2026 à 10 h 30"
EN_CANCELLED = "Appointment cancelled: Blood test, Tuesday, December 1, 2026 at 10:30\u202fa.m."


@pytest.mark.parametrize(
    ("language", "by", "subject", "says"),
    [
        ("fr", "patient", FR_CANCELLED, "comme vous l'avez demandé"),
        ("fr", "staff", FR_CANCELLED, "La clinique a annulé"),
        ("en", "patient", EN_CANCELLED, "as you asked"),
        ("en", "staff", EN_CANCELLED, "The clinic has cancelled"),
    ],
)
def test_cancellation_notice_says_who_cancelled_and_how_to_book_again(language, by, subject, says):
    event = cancelled(booked(STARTS, language=language), cancelled_by=by)
    email = cancellation_notice(event, PORTAL, "email", named=True)
    assert email.subject == subject
    assert says in email.body
    assert "CLSC de Verdun" in email.body
    assert PORTAL in email.body
    sms = cancellation_notice(event, PORTAL, "sms", named=True)
    assert PORTAL in sms.body
    assert short(sms.body)
    assert "cancel?token" not in email.body + sms.body  # nothing left to cancel


def test_reschedule_notice_gives_the_old_and_new_times_and_the_new_links():
    moved = rescheduled(booked(STARTS, appointment_id=ID), datetime(2026, 12, 8, 19, 0, tzinfo=UTC), "new-token")
    email = reschedule_notice(moved, PORTAL, "email", named=True)
    assert email.subject == "Rendez-vous déplacé : Prise de sang, mardi 8 décembre 2026 à 14 h 00"
    assert "Votre rendez-vous du mardi 1 décembre 2026 à 10 h 30 est remplacé par celui-ci" in email.body
    assert f"{LINKS}/confirm?token=new-token" in email.body
    assert f"{LINKS}/cancel?token=new-token" in email.body
    assert "manage-token-1" not in email.body
    sms = reschedule_notice(moved, PORTAL, "sms", named=True)
    assert "mardi 8 décembre 2026 à 14 h 00" in sms.body
    assert sms.body.endswith(f"{LINKS}/cancel?token=new-token")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_reminder_carries_confirm_and_cancel_links_in_both_channels(language):
    details = AppointmentDetails.of(booked(STARTS, appointment_id=ID, language=language), named=True)
    email = reminder(details, "tok&en", PORTAL, "email")
    sms = reminder(details, "tok&en", PORTAL, "sms")
    for message in (email, sms):
        assert f"{LINKS}/confirm?token=tok%26en" in message.body
        assert f"{LINKS}/cancel?token=tok%26en" in message.body
    assert (
        email.subject
        == {
            "fr": "Rappel : Prise de sang, mardi 1 décembre 2026 à 10 h 30",
            "en": "Reminder: Blood test, Tuesday, December 1, 2026 at 10:30\u202fa.m.",
        }[language]
    )
    assert short(sms.body)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_messages_of_a_booking_without_an_account_name_nobody(language):
    # Issue 18, finding 6: names typed by whoever booked never reach an address nobody proved.
    event = booked(STARTS, appointment_id=ID, language=language)
    moved = rescheduled(event, datetime(2026, 12, 8, 19, 0, tzinfo=UTC), "new-token")
    messages = [
        cancellation_notice(cancelled(event), PORTAL, "email", named=False),
        reschedule_notice(moved, PORTAL, "email", named=False),
        reminder(AppointmentDetails.of(event, named=False), "token", PORTAL, "email"),
    ]
    for message in messages:
        assert message.body.startswith({"fr": "Bonjour,\n", "en": "Hello,\n"}[language])
        assert "Léa" not in message.subject + message.body
        assert "Roy" not in message.subject + message.body
    named = cancellation_notice(cancelled(event), PORTAL, "email", named=True)
    assert named.body.startswith({"fr": "Bonjour Léa Roy,", "en": "Hello Léa Roy,"}[language])


def test_details_survive_their_stored_form():
    details = AppointmentDetails.of(booked(STARTS, appointment_id=ID), named=True)
    stored = details.stored()
    assert "manage-token-1" not in str(stored)
    assert AppointmentDetails.from_stored(ID, STARTS, stored) == details
