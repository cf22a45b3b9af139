"""When reminders go out: inside 08:00-21:00 at the place, before the appointment, across DST."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.notifications.rules import in_window, next_opening, plan, send_time

MONTREAL = "America/Montreal"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(MONTREAL))


def in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


FAR_AHEAD = local(2030, 2, 1, 10, 0)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (local(2030, 1, 14, 22, 30), local(2030, 1, 15, 8, 0)),  # late evening -> next morning
        (local(2030, 1, 15, 7, 0), local(2030, 1, 15, 8, 0)),  # early morning -> same morning
        (local(2030, 1, 15, 12, 0), local(2030, 1, 15, 12, 0)),  # inside: unchanged
        (local(2030, 1, 15, 8, 0), local(2030, 1, 15, 8, 0)),  # the window opens at 08:00 sharp
        (local(2030, 1, 15, 20, 59), local(2030, 1, 15, 20, 59)),
        (local(2030, 1, 15, 21, 0), local(2030, 1, 16, 8, 0)),  # and is closed from 21:00
        (local(2030, 1, 15, 0, 0), local(2030, 1, 15, 8, 0)),
    ],
)
def test_a_reminder_outside_the_window_moves_to_the_next_0800(due: datetime, expected: datetime):
    assert send_time(in_utc(due), FAR_AHEAD, MONTREAL) == in_utc(expected)


def test_the_window_is_local_time_not_utc():
    # 12:00 UTC is 07:00 in Montreal in winter: outside, though noon in UTC.
    assert not in_window(datetime(2030, 1, 15, 12, 0, tzinfo=UTC), MONTREAL)
    assert in_window(datetime(2030, 1, 15, 13, 0, tzinfo=UTC), MONTREAL)
    # The same instant is 08:00 in Montreal in summer (UTC-4): inside.
    assert in_window(datetime(2030, 7, 15, 12, 0, tzinfo=UTC), MONTREAL)


def test_spring_forward_night_lands_on_0800_daylight_time():
    # 2026-03-08 02:00 EST -> 03:00 EDT. 22:30 EST the evening before is 03:30 UTC; 08:00 EDT is 12:00 UTC,
    # whereas adding the 9.5 h that separate them in winter would give 13:00 UTC (09:00 EDT).
    due = local(2026, 3, 7, 22, 30)
    assert in_utc(due) == datetime(2026, 3, 8, 3, 30, tzinfo=UTC)
    assert send_time(in_utc(due), FAR_AHEAD, MONTREAL) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


def test_fall_back_night_lands_on_0800_standard_time():
    # 2026-11-01 02:00 EDT -> 01:00 EST. 22:30 EDT on Oct 31 is 02:30 UTC; 08:00 EST is 13:00 UTC.
    due = local(2026, 10, 31, 22, 30)
    assert send_time(in_utc(due), FAR_AHEAD, MONTREAL) == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
    # An ambiguous 01:30 (it happens twice that night) is outside the window either way.
    assert next_opening(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), MONTREAL) == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
    assert next_opening(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), MONTREAL) == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_offsets_are_elapsed_hours_across_a_dst_change():
    # 24 h before 10:00 EDT on the first summer-time day is 09:00 EST the day before.
    starts = local(2026, 3, 8, 10, 0)
    [sent] = plan(starts, [24], MONTREAL, now=local(2026, 3, 1, 12, 0)).values()
    assert sent == in_utc(local(2026, 3, 7, 9, 0))


def test_when_0800_would_be_too_late_the_reminder_goes_the_evening_before_instead():
    # A 07:00 blood test reminded 2 h ahead: 05:00 -> 08:00 is after it -> 20:30 the evening before.
    starts = local(2030, 1, 15, 7, 0)
    due = in_utc(starts - timedelta(hours=2))
    assert send_time(due, in_utc(starts), MONTREAL) == in_utc(local(2030, 1, 14, 20, 30))


def test_plan_keeps_future_reminders_and_names_them_by_offset_in_minutes():
    starts = local(2030, 1, 15, 10, 30)
    planned = plan(starts, [48, 12, 1.5], MONTREAL, now=local(2030, 1, 12, 9, 0))
    assert planned == {
        48 * 60: in_utc(local(2030, 1, 13, 10, 30)),
        12 * 60: in_utc(local(2030, 1, 15, 8, 0)),  # 22:30 moved to 08:00
        90: in_utc(local(2030, 1, 15, 9, 0)),
    }


def test_reminders_already_past_at_booking_are_not_created():
    starts = local(2030, 1, 15, 15, 0)
    assert plan(starts, [24], MONTREAL, now=local(2030, 1, 15, 9, 0)) == {}
    # Booked at 23:00 for the next afternoon: 24 h before is past, 2 h before is not.
    assert list(plan(starts, [24, 2], MONTREAL, now=local(2030, 1, 14, 23, 0))) == [120]
    # Booked at 07:30 for 11:00 with a 12 h offset: 23:00 -> 08:00 today, still ahead, so it is kept.
    assert plan(local(2030, 1, 15, 11, 0), [12], MONTREAL, now=local(2030, 1, 15, 7, 30)) == {
        720: in_utc(local(2030, 1, 15, 8, 0))
    }


def test_offsets_moved_onto_the_same_time_give_one_reminder():
    # 02:00 and 03:00 both move to 08:00: the patient gets one message, kept under the longer offset.
    starts = local(2030, 1, 15, 11, 0)
    assert plan(starts, [8, 9], MONTREAL, now=local(2030, 1, 10, 12, 0)) == {9 * 60: in_utc(local(2030, 1, 15, 8, 0))}
