"""Validated contact details, as pydantic types: email (email-validator) and phone (phonenumbers, E.164)."""

from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

from shared.refusals import Refused, Wording

DEFAULT_PHONE_REGION = "CA"


def normalize_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise PydanticCustomError("invalid_email", "Invalid email address: {reason}", {"reason": str(exc)}) from None


def normalize_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise PydanticCustomError("invalid_phone", "Invalid phone number") from None
    # Most numbers are Canadian: checked against Canada's plan first (about 7 µs); the full check, which
    # tries every region sharing the country code (25 for +1, the United States first), takes 25 µs.
    if not (
        phonenumbers.is_valid_number_for_region(number, DEFAULT_PHONE_REGION) or phonenumbers.is_valid_number(number)
    ):
        raise PydanticCustomError("invalid_phone", "Invalid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(normalize_email)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), AfterValidator(normalize_phone)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ContactRequired(Refused):
    """Neither an email address nor a mobile phone: nobody could be told of the appointment or the code."""


# Each service that takes contact details words this refusal alike.
CONTACT_REFUSALS: dict[type[Refused], Wording] = {
    ContactRequired: Wording(
        422,
        "contact_required",
        "email",
        "Indiquez au moins un courriel ou un numéro de cellulaire.",
        "Give at least an email address or a mobile phone number.",
    ),
}


def require_contact(email: str | None, phone: str | None) -> None:
    """Someone must be reachable: an email address or a mobile phone, at least one."""
    if not email and not phone:
        raise ContactRequired
