from datetime import UTC, datetime, timedelta

from shared.wait_words import come_back_at

NOW = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)  # 13 h in Montréal (EDT)
NBSP = "\u00a0"


def test_the_time_is_montreals_as_quebec_and_english_write_it():
    when = come_back_at(NOW + timedelta(minutes=15), NOW)
    assert (when.at_fr, when.at_en) == (f"13{NBSP}h{NBSP}15", f"1:15{NBSP}p.m.")
    assert (when.wait_fr, when.wait_en, when.retry_after) == (f"dans 15{NBSP}min", f"in 15{NBSP}min", 900)
    on_the_hour = come_back_at(NOW + timedelta(hours=-1), NOW - timedelta(hours=2))
    assert (on_the_hour.at_fr, on_the_hour.at_en) == (f"12{NBSP}h", f"12:00{NBSP}p.m.")
    assert come_back_at(datetime(2026, 7, 1, 4, 5, tzinfo=UTC), NOW).at_en == f"12:05{NBSP}a.m."


def test_seconds_round_up_so_nobody_comes_back_early():
    when = come_back_at(NOW + timedelta(minutes=14, seconds=1), NOW)
    assert (when.at_fr, when.wait_fr, when.retry_after) == (f"13{NBSP}h{NBSP}15", f"dans 15{NBSP}min", 841)
    # Past already: one second, one minute, never zero.
    assert come_back_at(NOW - timedelta(seconds=5), NOW).retry_after == 1


def test_a_wait_of_hours_is_said_in_hours_and_names_the_next_day():
    when = come_back_at(NOW + timedelta(hours=23, minutes=50), NOW)
    assert (when.at_fr, when.at_en) == (f"demain, 12{NBSP}h{NBSP}50", f"tomorrow, 12:50{NBSP}p.m.")
    assert (when.wait_fr, when.wait_en) == (f"dans environ 24{NBSP}heures", f"in about 24{NBSP}hours")
    assert come_back_at(NOW + timedelta(minutes=100), NOW).wait_en == f"in about 2{NBSP}hours"
