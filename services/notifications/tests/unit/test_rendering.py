import uuid
from datetime import UTC, datetime

from services.notifications.appointment_messages import booking_confirmation
from services.notifications.rendering import cancel_url, local_date_time
from shared.contracts.appointments import AppointmentBooked, PatientContactV1, PlaceV1, ServiceOfferedV1


def _event(language: str, starts_at: datetime, account_id: uuid.UUID | None = None) -> AppointmentBooked:
    return AppointmentBooked(
        appointment_id=uuid.UUID("00000000-0000-0000-0000-000000000001"),
        slot_id=uuid.uuid4(),
        account_id=account_id,
        starts_at=starts_at,
        ends_at=starts_at,
        place=PlaceV1(
            establishment_id=uuid.uuid4(),
            name="CLSC de Verdun",
            address="400, rue de l'Église",
            city="Montréal",
            postal_code="H4G 2M4",
            timezone="America/Montreal",
        ),
        service=ServiceOfferedV1(service_id=uuid.uuid4(), name_fr="Prise de sang", name_en="Blood test"),
        patient=PatientContactV1(first_name="Jean", last_name="Roy", email="jean@example.org", phone=None),
        language=language,
        manage_token="tok/en+1",
    )


def test_times_are_shown_in_montreal_time_across_daylight_saving():
    summer = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)  # EDT, UTC-4
    winter = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # EST, UTC-5
    assert local_date_time(summer, "America/Montreal", "fr") == ("mercredi 1 juillet 2026", "09 h 00")
    assert local_date_time(winter, "America/Montreal", "fr") == ("mardi 1 décembre 2026", "08 h 00")


def test_french_confirmation_has_date_time_place_and_cancel_link():
    message = booking_confirmation(
        _event("fr", datetime(2026, 12, 1, 15, 30, tzinfo=UTC), account_id=uuid.uuid4()), "https://portail.example"
    )
    assert message.subject == "Rendez-vous confirmé : Prise de sang, mardi 1 décembre 2026 à 10 h 30"
    assert "Bonjour Jean Roy," in message.body
    assert "400, rue de l'Église, Montréal H4G 2M4" in message.body
    assert "https://portail.example/appointments/00000000-0000-0000-0000-000000000001/cancel?token=tok/en%2B1" in (
        message.body
    )


def test_a_booking_without_an_account_is_confirmed_without_the_names_its_booker_typed():
    # Issue 18, finding 6: the address is nobody's proven one, and the names are whatever was typed.
    for language, greeting in (("fr", "Bonjour,\n"), ("en", "Hello,\n")):
        message = booking_confirmation(_event(language, datetime(2026, 12, 1, 15, 30, tzinfo=UTC)), "https://p.example")
        assert message.body.startswith(greeting)
        assert "Jean" not in message.subject + message.body
        assert "Roy" not in message.subject + message.body
        assert "CLSC de Verdun" in message.body


def test_english_confirmation_uses_english_names_and_formats():
    message = booking_confirmation(_event("en", datetime(2026, 12, 1, 15, 30, tzinfo=UTC)), "https://portal.example")
    assert message.subject.startswith("Appointment confirmed: Blood test, Tuesday, December 1, 2026 at 10:30")
    assert "To cancel this appointment" in message.body
    assert "Prise de sang" not in message.body


def test_cancel_url_escapes_the_token():
    assert cancel_url("https://x/", "id", "a b&c") == "https://x/appointments/id/cancel?token=a%20b%26c"
