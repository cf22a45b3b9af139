import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.contact import Email, Phone, normalize_phone


class Contact(BaseModel):
    email: Email | None = None
    phone: Phone | None = None


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("514 555-0123", "+15145550123"), ("(438) 555-0199", "+14385550199"), ("+33 1 42 68 53 00", "+33142685300")],
)
def test_phone_numbers_are_stored_in_e164_with_canada_as_default(raw, e164):
    assert Contact(phone=raw).phone == e164


@pytest.mark.parametrize("raw", ["12", "555-0123", "not a phone"])
def test_invalid_phone_numbers_are_refused_with_their_own_code(raw):
    with pytest.raises(ValidationError) as refused:
        Contact(phone=raw)
    assert refused.value.errors()[0]["type"] == "invalid_phone"


@given(st.from_regex(r"\+?1?[2-9]\d{9}", fullmatch=True) | st.from_regex(r"\+[2-9]\d{6,12}", fullmatch=True))
def test_the_canada_first_check_accepts_exactly_the_numbers_valid_in_some_region(raw):
    try:
        valid_somewhere = phonenumbers.is_valid_number(phonenumbers.parse(raw, "CA"))
    except phonenumbers.NumberParseException:
        valid_somewhere = False
    try:
        normalize_phone(raw)
    except ValueError:  # PydanticCustomError
        assert not valid_somewhere
    else:
        assert valid_somewhere


def test_emails_are_normalised_and_bad_ones_refused():
    assert Contact(email="  Marie@Example.ORG ").email == "Marie@example.org"
    with pytest.raises(ValidationError) as refused:
        Contact(email="marie@@example")
    assert refused.value.errors()[0]["type"] == "invalid_email"
