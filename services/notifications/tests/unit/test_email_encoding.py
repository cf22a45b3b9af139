"""The bytes the email channel writes itself: headers and body read back as sent by any MIME parser."""

import email
import email.policy

import pytest

from services.notifications.email_channel import encoded_body, encoded_header

SUBJECTS = [
    "Rendez-vous confirmé : Prise de sang, jeudi 26 novembre 2026 à 19 h 33",
    "Short",
    "",
    "é" * 100,
    "a " * 80,
    "日本語の件名" * 10,
    "Tab\tand ¤ currency 🎉 emoji",
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_subject_reads_back_unchanged_on_lines_within_76_characters(subject: str):
    raw = encoded_header("Subject", subject)
    parsed = email.message_from_bytes(raw + b"\r\n", policy=email.policy.default)
    assert str(parsed["Subject"]) == subject
    assert all(len(line) <= 76 for line in raw.split(b"\r\n"))
    assert raw.isascii()


def test_a_short_ascii_subject_is_left_readable():
    assert encoded_header("Subject", "Your code") == b"Subject: Your code\r\n"


@pytest.mark.parametrize("value", ["a\r\nBcc: x@example.org", "a\nb", "a\rb"])
def test_a_line_break_in_a_header_value_is_refused(value: str):
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        encoded_header("Subject", value)


@pytest.mark.parametrize(
    ("body", "eight_bit", "encoding"),
    [
        ("Hello,\nsee you.\n", True, b"7bit"),
        ("Bonjour,\nà bientôt.\n", True, b"8bit"),
        ("Bonjour,\nà bientôt.\n", False, b"quoted-printable"),
        ("Lien : https://portail.example/appointments/" + "x" * 90 + "?token=é=1\n", True, b"quoted-printable"),
        ("trailing space \nand tab\t\n.\nlast line without newline", True, b"7bit"),
        ("", True, b"7bit"),
    ],
)
def test_a_body_reads_back_unchanged(body: str, eight_bit: bool, encoding: bytes):
    content, transfer_encoding = encoded_body(body, eight_bit)
    assert transfer_encoding == encoding
    raw = (
        b'MIME-Version: 1.0\r\nContent-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: '
        + transfer_encoding
        + b"\r\n\r\n"
        + content
    )
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content().replace("\r\n", "\n").rstrip("\n") == body.rstrip("\n")
    if encoding != b"8bit":
        assert content.isascii()
    assert all(len(line) <= 78 for line in content.split(b"\r\n"))
