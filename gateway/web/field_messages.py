"""Each form field's own error message, in French and English, in place of a validator's generic words.

A service refuses an empty first name with pydantic's code (string_too_short, string_type, missing...) and
words that name no field ("Ce champ ne peut pas être vide."): an error summary listing three of those tells a
citizen nothing. GOV.UK's error message guidance asks for the field's own words ("Entrez votre prénom"), so a
generic code on a field this table knows becomes that field's message; a specific code (invalid_nam,
invalid_email, a taken e-mail, a weak password) keeps the service's message, which already says what is wrong.

Two wordings: "own" for citizens speaking of themselves (registration, sign-in, the booking form, their
profile), "other" for someone else's details (a family member, the patient at the console's desk).
"""

from collections.abc import Iterable, Mapping
from typing import Literal, NamedTuple

Whose = Literal["own", "other"]


class Words(NamedTuple):
    fr: str
    en: str


class FieldMessages(NamedTuple):
    empty: Words  # left empty, or not chosen
    invalid: Words | None = None  # filled in but not something the field takes (a date that is not one)


# Codes that say only "empty" or "not the expected kind of value": the field's own words say more.
EMPTY_CODES = frozenset({"missing", "string_too_short", "string_type", "date_type", "uuid_type", "bool_type"})
INVALID_CODES = frozenset(
    {
        "literal_error",
        "enum",
        "date_parsing",
        "date_from_datetime_parsing",
        "date_from_datetime_inexact",
        "value_error",
        "uuid_parsing",
        "bool_parsing",
        "string_pattern_mismatch",
    }
)

_BIRTH_DATE_INVALID = Words(
    "La date de naissance doit être une vraie date, par exemple 27 3 1985.",
    "The date of birth must be a real date, for example 27 3 1985.",
)
_SEX = Words(
    "Choisissez le sexe inscrit sur la carte d'assurance maladie.",
    "Choose the sex shown on the health insurance card.",
)

OWN: dict[str, FieldMessages] = {
    "first_name": FieldMessages(Words("Entrez votre prénom.", "Enter your first name.")),
    "last_name": FieldMessages(Words("Entrez votre nom de famille.", "Enter your last name.")),
    "birth_date": FieldMessages(
        Words("Entrez votre date de naissance.", "Enter your date of birth."), _BIRTH_DATE_INVALID
    ),
    "sex": FieldMessages(_SEX),
    "identifier": FieldMessages(
        Words("Entrez votre courriel ou votre numéro de cellulaire.", "Enter your email or mobile phone number.")
    ),
    "email": FieldMessages(Words("Entrez votre courriel.", "Enter your email address.")),
    "password": FieldMessages(Words("Entrez votre mot de passe.", "Enter your password.")),
    "current_password": FieldMessages(Words("Entrez votre mot de passe actuel.", "Enter your current password.")),
    "new_password": FieldMessages(Words("Entrez un nouveau mot de passe.", "Enter a new password.")),
    "language": FieldMessages(Words("Choisissez la langue de vos messages.", "Choose the language of your messages.")),
    "slot_id": FieldMessages(Words("Choisissez une heure.", "Choose a time.")),
    "person_id": FieldMessages(Words("Choisissez pour qui est le rendez-vous.", "Choose who the appointment is for.")),
    "postal_code": FieldMessages(
        Words("Entrez votre code postal, par exemple H2X 1Y4.", "Enter your postal code, for example H2X 1Y4."),
        Words("Entrez un code postal valide, par exemple H2X 1Y4.", "Enter a valid postal code, for example H2X 1Y4."),
    ),
}

OTHER: dict[str, FieldMessages] = OWN | {
    "first_name": FieldMessages(Words("Entrez le prénom.", "Enter the first name.")),
    "last_name": FieldMessages(Words("Entrez le nom de famille.", "Enter the last name.")),
    "birth_date": FieldMessages(Words("Entrez la date de naissance.", "Enter the date of birth."), _BIRTH_DATE_INVALID),
    "confirmed": FieldMessages(
        Words(
            "Cochez la case pour confirmer avoir validé l'identité du patient.",
            "Tick the box to confirm you have validated the patient's identity.",
        )
    ),
}

# A contact the service requires (one of the two) is refused after the fields' checks, so only when they pass:
# the gateway says it with the rest. The same words as the service's contact_required.
CONTACT_REQUIRED = Words(
    "Indiquez au moins un courriel ou un numéro de cellulaire.",
    "Give at least an email address or a mobile phone number.",
)


def _table(whose: Whose) -> dict[str, FieldMessages]:
    return OWN if whose == "own" else OTHER


def missing(field: str, lang: str, whose: Whose = "own") -> str:
    """The field's message for being left empty."""
    words = _table(whose)[field].empty
    return words.fr if lang == "fr" else words.en


def field_message(field: str, code: str, service_message: str, lang: str, whose: Whose = "own") -> str:
    """The field's own message for a generic code, else the service's (which is specific)."""
    known = _table(whose).get(field)
    if known is None:
        return service_message
    if code in EMPTY_CODES:
        words = known.empty
    elif code in INVALID_CODES:
        words = known.invalid or known.empty
    else:
        return service_message
    return words.fr if lang == "fr" else words.en


def empty_ones(values: Mapping[str, str], fields: Iterable[str], lang: str, whose: Whose = "own") -> dict[str, str]:
    """Each of `fields` left empty in `values`, with its message: what the gateway reports alongside a refusal
    for the checks a service only makes once the others pass (a password's strength, a contact)."""
    return {field: missing(field, lang, whose) for field in fields if not values.get(field, "").strip()}


def contact_required(lang: str) -> str:
    return CONTACT_REQUIRED.fr if lang == "fr" else CONTACT_REQUIRED.en
