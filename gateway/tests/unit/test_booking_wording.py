"""How the booking pages write counts, distances and dates: real plurals, the language's decimal separator,
dates written out (never ISO)."""

import pytest

from gateway.web.booking_texts import counted, kilometres
from gateway.web.dates import birth_date, written_when


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [
        ("fr", 0, "0 place restante"),  # French counts 0 as singular
        ("fr", 1, "1 place restante"),
        ("fr", 2, "2 places restantes"),
        ("fr", 1000, "1\u00a0000 places restantes"),
        ("en", 0, "0 seats left"),
        ("en", 1, "1 seat left"),
        ("en", 1000, "1,000 seats left"),
    ],
)
def test_counts_choose_singular_or_plural(lang: str, count: int, expected: str):
    assert counted(lang, "booking_seats_left", count) == expected


def test_no_wording_of_the_booking_pages_writes_a_plural_in_brackets():
    from gateway.web import booking_texts

    for wording in booking_texts.TEXTS.values():
        assert not [key for key, text in wording.items() if "(s)" in text]


def test_distances_use_the_languages_decimal_separator():
    assert (kilometres(0.2, "fr"), kilometres(0.2, "en")) == ("0,2", "0.2")
    assert kilometres(1234.56, "fr") == "1\u00a0234,6"


def test_dates_are_written_out_in_montreal_time():
    # 15:30 UTC in December is 10:30 in Montréal.
    assert written_when("2026-12-10T15:30:00+00:00", "fr") == "jeudi 10 décembre 2026 à 10 h 30"
    assert written_when("2026-12-10T15:30:00+00:00", "en") == "Thursday, December 10, 2026 at 10:30\u202fa.m."
    assert birth_date("2016-02-29", "fr") == "29 février 2016"
    assert birth_date(None, "en") == ""
