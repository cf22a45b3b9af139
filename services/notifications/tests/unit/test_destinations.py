from services.notifications.rules import destinations
from shared.contracts.appointments import PatientContactV1


def patient(email: str | None, phone: str | None) -> PatientContactV1:
    return PatientContactV1(first_name="Léa", last_name="Roy", email=email, phone=phone)


def test_every_preferred_channel_with_an_address():
    both = patient("lea@example.org", "+15145550123")
    assert destinations(both, ("email", "sms")) == {"email": "lea@example.org", "sms": "+15145550123"}
    assert destinations(both, ("sms",)) == {"sms": "+15145550123"}
    assert destinations(both, ("email", "email")) == {"email": "lea@example.org"}


def test_a_preference_without_an_address_falls_back_to_the_contact_there_is():
    assert destinations(patient("lea@example.org", None), ("sms",)) == {"email": "lea@example.org"}
    assert destinations(patient(None, "+15145550123"), ("email",)) == {"sms": "+15145550123"}
    assert destinations(patient("lea@example.org", "+15145550123"), ()) == {"email": "lea@example.org"}


def test_no_contact_no_message():
    assert destinations(patient(None, None), ("email", "sms")) == {}
