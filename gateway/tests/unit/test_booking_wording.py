"""How the booking pages write counts, distances and dates: real plurals, the language's decimal separator,
dates written out (never ISO)."""

from datetime import time

import pytest

from gateway.web.booking_texts import counted, kilometres, seats_left
from gateway.web.dates import birth_date, time_label, written_when


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [
        ("fr", 0, "0 place restante"),  # French counts 0 as singular
        ("fr", 1, "1 place restante"),
        ("fr", 2, "2 places restantes"),
        ("fr", 1000, "1\u00a0000 places restantes"),
        ("en", 0, "0 spots left"),
        ("en", 1, "1 spot left"),
        ("en", 1000, "1,000 spots left"),
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
    assert written_when("2026-12-10T15:30:00+00:00", "fr") == "jeudi 10 décembre 2026 à 10\u00a0h\u00a030"
    assert written_when("2026-12-10T15:30:00+00:00", "en") == "Thursday, December 10, 2026 at 10:30\u00a0a.m."
    assert birth_date("2016-02-29", "fr") == "29 février 2016"
    assert birth_date(None, "en") == ""


@pytest.mark.parametrize(
    ("at", "fr", "en"),
    [
        (time(8, 0), "8\u00a0h", "8:00\u00a0a.m."),
        (time(9, 30), "9\u00a0h\u00a030", "9:30\u00a0a.m."),
        (time(14, 5), "14\u00a0h\u00a005", "2:05\u00a0p.m."),
    ],
)
def test_times_are_written_as_quebec_writes_them_and_never_break(at: time, fr: str, en: str):
    # No leading zero, no ":00" on the hour in French; no-break spaces so a time stays on one line.
    assert (time_label(at, "fr"), time_label(at, "en")) == (fr, en)


def test_a_seat_count_above_ten_says_only_that_there_are_spots():
    assert (seats_left(10, "fr"), seats_left(10, "en")) == ("10 places restantes", "10 spots left")
    assert (seats_left(11, "fr"), seats_left(11, "en")) == ("Places disponibles", "Spots available")
    assert seats_left(1, "en") == "1 spot left"
