from datetime import UTC, datetime, timedelta

from shared.wait_words import come_back_at

NOW = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)  # 13 h in Montréal (EDT)


def test_the_time_is_montreals_as_quebec_and_english_write_it():
    when = come_back_at(NOW + timedelta(minutes=15), NOW)
    assert (when.at_fr, when.at_en, when.minutes, when.retry_after) == ("13\u00a0h\u00a015", "1:15\u00a0p.m.", 15, 900)
    on_the_hour = come_back_at(NOW + timedelta(hours=-1), NOW - timedelta(hours=2))
    assert (on_the_hour.at_fr, on_the_hour.at_en) == ("12\u00a0h", "12:00\u00a0p.m.")
    assert come_back_at(datetime(2026, 7, 1, 4, 5, tzinfo=UTC), NOW).at_en == "12:05\u00a0a.m."


def test_seconds_round_up_so_nobody_comes_back_early():
    when = come_back_at(NOW + timedelta(minutes=14, seconds=1), NOW)
    assert (when.at_fr, when.minutes, when.retry_after) == ("13\u00a0h\u00a015", 15, 841)
    # Past already: one second, one minute, never zero.
    assert come_back_at(NOW - timedelta(seconds=5), NOW).retry_after == 1
