"""One reminder per destination and day (issue 22, item 2), its pure parts: which reminders go together, the id
their message gets, how it names the day, and what it says in FR/EN, by e-mail and SMS."""

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from services.notifications.appointment_messages import day_reminder, reminder
from services.notifications.rules import (
    AppointmentDetails,
    by_destination,
    destination_key,
    relative_day,
    reminder_group_id,
)
from services.notifications.tests.appointment_events import SERVICE, booked
from shared.contracts.appointments import PatientContactV1

PORTAL = "https://portail.example"
MONTREAL = ZoneInfo("America/Montreal")
HOLDER = uuid.uuid4()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=MONTREAL)


def details(starts: datetime, first_name: str, *, language: str = "fr", named: bool = True, instructions=None):
    service = SERVICE.model_copy(update={"instructions_fr": instructions, "instructions_en": instructions})
    event = booked(
        starts,
        language=language,
        account_id=HOLDER if named else None,
        contact=PatientContactV1(first_name=first_name, last_name="Roy", email="lea.roy@example.org", phone=None),
    ).model_copy(update={"service": service})
    return AppointmentDetails.of(event, named=named)


def test_reminders_go_together_by_address_regardless_of_case_and_by_number():
    items = [
        ("a", {"email": "Lea.Roy@example.org", "sms": "+15145550123"}),
        ("b", {"email": "lea.roy@example.org "}),
        ("c", {"sms": "+15145550123"}),
        ("d", {"email": "luc@example.org", "sms": "+15145559999"}),
    ]
    groups = by_destination(items, lambda item: item[1])
    assert [(channel, address, [name for name, _ in members]) for channel, address, members in groups] == [
        ("email", "Lea.Roy@example.org", ["a", "b"]),
        ("sms", "+15145550123", ["a", "c"]),
        ("email", "luc@example.org", ["d"]),
        ("sms", "+15145559999", ["d"]),
    ]
    assert destination_key("sms", "+15145550123") != destination_key("sms", "+15145550124")


def test_a_message_id_comes_from_the_reminders_it_lists():
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert reminder_group_id([first]) == first  # alone: the reminder's own id, as before grouping
    assert reminder_group_id([first, second]) == reminder_group_id([second, first])
    assert reminder_group_id([first, second]) not in (first, second, reminder_group_id([first, third]))
    assert reminder_group_id([first, second, third]) != reminder_group_id([first, second])


def test_the_day_is_named_from_the_place_not_from_utc():
    day = local(2030, 1, 15, 10, 30).date()
    # 23:30 in Montréal on the 14th is already the 15th in UTC: the 15th is still tomorrow there.
    assert relative_day(day, datetime(2030, 1, 15, 4, 30, tzinfo=UTC), "America/Montreal") == "tomorrow"
    assert relative_day(day, local(2030, 1, 15, 8, 0), "America/Montreal") == "today"
    assert relative_day(day, local(2030, 1, 13, 10, 0), "America/Montreal") == "later"
    # An evening appointment's day is its date at the place, the next day in UTC.
    assert details(local(2030, 1, 15, 20, 0), "Léa").local_day == day


def test_alone_a_reminder_reads_as_before():
    one = details(local(2030, 1, 15, 10, 30), "Léa", instructions="Soyez à jeun")
    for channel in ("email", "sms"):
        assert day_reminder([(one, "tok")], PORTAL, channel, local(2030, 1, 14, 10, 30)) == reminder(
            one, "tok", PORTAL, channel
        )


@pytest.mark.parametrize(
    ("language", "subject", "heading", "person", "instructions"),
    [
        ("fr", "Rappel : 3 rendez-vous demain, mardi 15 janvier 2030", "vos 3 rendez-vous du", "Pour : ", "À apporter"),
        (
            "en",
            "Reminder: 3 appointments tomorrow, Tuesday, January 15, 2030",
            "your 3 appointments on",
            "For: ",
            "Before",
        ),
    ],
)
def test_an_email_lists_the_days_appointments_each_with_its_links(language, subject, heading, person, instructions):
    listed = [
        (details(local(2030, 1, 15, 10, 30), "Léa", language=language), "tok-1"),
        (details(local(2030, 1, 15, 11, 0), "Émile", language=language, instructions="Carnet\nà jeun"), "tok-2"),
        (details(local(2030, 1, 15, 14, 0), "Rose", language=language, named=False), "tok-3"),
    ]
    email = day_reminder(listed, PORTAL, "email", local(2030, 1, 14, 10, 30))
    assert email.subject == subject
    assert heading in email.body
    assert email.body.startswith({"fr": "Bonjour,\n", "en": "Hello,\n"}[language])
    assert f"{person}Léa Roy" in email.body
    assert f"{person}Émile Roy" in email.body
    assert "Rose" not in email.body  # booked without an account: named nowhere
    assert f"{instructions}" in email.body
    assert "   Carnet\n   à jeun\n" in email.body
    for entry, token in listed:
        for action in ("confirm", "cancel"):
            assert email.body.count(f"{PORTAL}/appointments/{entry.appointment_id}/{action}?token={token}") == 1
    positions = [email.body.index(f"{n}. ") for n in (1, 2, 3)]
    assert positions == sorted(positions)


def test_an_sms_lists_them_on_one_line_and_another_days_date_is_spelled_out():
    listed = [
        (details(local(2030, 1, 15, 10, 30), "Léa"), "tok-1"),
        (details(local(2030, 1, 15, 11, 0), "Émile", instructions="Carnet\nà jeun"), "tok-2"),
    ]
    sms = day_reminder(listed, PORTAL, "sms", local(2030, 1, 13, 10, 30))
    assert sms.subject == ""
    assert "\n" not in sms.body
    assert sms.body.startswith(
        "Rendez-vous santé – Rappel : 2 RDV le mardi 15 janvier 2030. 1) 10 h 30, Prise de sang (Léa Roy), "
    )
    assert "2) 11 h 00, Prise de sang (Émile Roy), CLSC de Verdun. À apporter ou à faire avant la visite : " in sms.body
    assert "Carnet à jeun. Confirmer : " in sms.body
    assert sms.body.endswith(f"/appointments/{listed[1][0].appointment_id}/cancel?token=tok-2")


def test_a_group_is_written_in_its_first_appointments_language():
    listed = [
        (details(local(2030, 1, 15, 10, 30), "Léa", language="en", instructions="Bring it"), "a"),
        (details(local(2030, 1, 15, 11, 0), "Émile", language="fr"), "b"),
    ]
    email = day_reminder(listed, PORTAL, "email", local(2030, 1, 15, 8, 0))
    assert email.subject == "Reminder: 2 appointments today, Tuesday, January 15, 2030"
    assert "11:00\u202fa.m.: Blood test" in email.body
    assert "Prise de sang" not in email.body


def test_details_planned_before_instructions_were_kept_still_load():
    one = details(local(2030, 1, 15, 10, 30), "Léa", instructions="Soyez à jeun")
    stored = one.stored()
    assert stored["instructions_fr"] == "Soyez à jeun"
    assert AppointmentDetails.from_stored(one.appointment_id, one.starts_at, stored) == one
    older = {key: value for key, value in stored.items() if not key.startswith("instructions")}
    loaded = AppointmentDetails.from_stored(one.appointment_id, one.starts_at, older)
    assert loaded.instructions("email") == ""
