"""Each form field's own error message in place of a validator's generic words (GOV.UK's error messages):
a refusal turned into a form's errors names the field, in French and in English."""

from gateway.upstreams.base import ErrorItem, UpstreamRefusal
from gateway.web.field_messages import empty_ones, field_message


def _error(field: str | None, code: str, fr: str = "Valeur non permise.", en: str = "Value not allowed.") -> ErrorItem:
    return {"field": field, "code": code, "message": {"fr": fr, "en": en}}


EMPTY_REGISTRATION = UpstreamRefusal(
    422,
    [
        _error("first_name", "string_type", "Une chaîne de caractères est attendue.", "A text value is expected."),
        _error("last_name", "string_type", "Une chaîne de caractères est attendue.", "A text value is expected."),
        _error("birth_date", "date_type", "Date invalide.", "Invalid date."),
        _error("sex", "literal_error"),
    ],
)


def test_generic_codes_become_each_fields_own_message_in_both_languages():
    assert EMPTY_REGISTRATION.by_field("fr") == {
        "first_name": "Entrez votre prénom.",
        "last_name": "Entrez votre nom de famille.",
        "birth_date": "Entrez votre date de naissance.",
        "sex": "Choisissez le sexe inscrit sur la carte d'assurance maladie.",
    }
    assert EMPTY_REGISTRATION.by_field("en") == {
        "first_name": "Enter your first name.",
        "last_name": "Enter your last name.",
        "birth_date": "Enter your date of birth.",
        "sex": "Choose the sex shown on the health insurance card.",
    }


def test_someone_elses_details_are_asked_for_without_your():
    assert EMPTY_REGISTRATION.by_field("fr", "other")["first_name"] == "Entrez le prénom."
    assert EMPTY_REGISTRATION.by_field("en", "other")["birth_date"] == "Enter the date of birth."


def test_sign_in_left_empty_names_both_fields():
    refusal = UpstreamRefusal(
        422,
        [
            _error("identifier", "string_too_short", "Ce champ ne peut pas être vide.", "This field cannot be empty."),
            _error("password", "string_too_short", "Ce champ ne peut pas être vide.", "This field cannot be empty."),
        ],
    )
    assert refusal.by_field("fr") == {
        "identifier": "Entrez votre courriel ou votre numéro de cellulaire.",
        "password": "Entrez votre mot de passe.",
    }


def test_a_date_that_is_not_one_is_said_so_not_asked_for_again():
    message = field_message("birth_date", "date_from_datetime_parsing", "Date invalide.", "fr")
    assert message.startswith("La date de naissance doit être une vraie date")


def test_a_specific_reason_keeps_the_services_words():
    nam = "Numéro d'assurance maladie invalide."
    assert field_message("nam", "invalid_nam", nam, "fr") == nam
    taken = "Ce courriel est déjà utilisé."
    assert field_message("email", "email_taken", taken, "fr") == taken
    assert field_message("password", "weak_password", "Trop court.", "fr") == "Trop court."
    # A field no table knows keeps whatever the service said, even a generic one.
    assert field_message("capacity", "int_parsing", "Un nombre entier est attendu.", "fr") == (
        "Un nombre entier est attendu."
    )


def test_a_fields_first_reason_is_the_one_shown():
    refusal = UpstreamRefusal(422, [_error("slot_id", "uuid_type"), _error("slot_id", "unknown_slot", "Autre.")])
    assert refusal.by_field("fr") == {"slot_id": "Choisissez une heure."}


def test_empty_fields_the_gateway_checks_itself():
    typed = {"first_name": " ", "last_name": "Tremblay"}
    assert empty_ones(typed, ("first_name", "last_name"), "en", "other") == {"first_name": "Enter the first name."}
