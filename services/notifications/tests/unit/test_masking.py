import pytest

from services.notifications.rules import mask_email


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("marie.tremblay@example.org", "m***@example.org"),
        ("m@example.org", "m***@example.org"),
        ("  Jean@Courriel.QC.ca ", "J***@Courriel.QC.ca"),
        ('"a@b"@example.org', '"***@example.org'),  # the last @ separates the domain
        ("not-an-address", "***"),
        ("@example.org", "***"),
        ("", "***"),
    ],
)
def test_only_the_first_letter_and_the_domain_are_shown(address, masked):
    assert mask_email(address) == masked
