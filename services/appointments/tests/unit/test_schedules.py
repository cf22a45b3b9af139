"""Schedule rules: weekly hours and exceptions open the right slots, on the Montréal wall clock."""

import uuid
from datetime import UTC, date, datetime, time

import pytest

from services.appointments.catalogue import rules
from services.appointments.catalogue.rules import Schedule
from services.appointments.tests.worded import AsTheEdgeWordsIt
from shared.errors import ApiError

schedules = AsTheEdgeWordsIt(rules)


def weekly(first: date, last: date, **overrides) -> Schedule:
    fields = {
        "weekdays": frozenset({"mon", "tue", "wed", "thu", "fri"}),
        "hours": (time(8, 0), time(9, 0)),
        "slot_minutes": 15,
        "valid_from": first,
        "valid_to": last,
    }
    return Schedule(**{**fields, **overrides})


def local(starts: list[datetime]) -> list[str]:
    return [start.strftime("%a %Y-%m-%d %H:%M") for start in starts]


def test_weekdays_open_slots_that_fit_before_closing():
    # Monday 2025-06-02 to Sunday 2025-06-08.
    starts = schedules.slot_starts(weekly(date(2025, 6, 2), date(2025, 6, 8), slot_minutes=25))
    assert local(starts)[:2] == ["Mon 2025-06-02 08:00", "Mon 2025-06-02 08:25"]
    assert len(starts) == 5 * 2  # 08:50 would end after 09:00
    assert {start.strftime("%a") for start in starts} == {"Mon", "Tue", "Wed", "Thu", "Fri"}


def test_exceptions_close_a_day_or_change_its_hours():
    schedule = weekly(
        date(2025, 6, 2),
        date(2025, 6, 8),
        exceptions={
            date(2025, 6, 3): [],  # closed
            date(2025, 6, 4): [(time(13, 0), time(13, 30)), (time(10, 0), time(10, 15))],
            date(2025, 6, 7): [(time(9, 0), time(9, 15))],  # a Saturday opened
        },
    )
    by_day: dict[str, list[str]] = {}
    for start in schedules.slot_starts(schedule):
        by_day.setdefault(start.date().isoformat(), []).append(start.strftime("%H:%M"))
    assert "2025-06-03" not in by_day
    assert by_day["2025-06-04"] == ["10:00", "13:00", "13:15"]
    assert by_day["2025-06-07"] == ["09:00"]
    assert by_day["2025-06-02"] == ["08:00", "08:15", "08:30", "08:45"]


def test_eight_oclock_stays_eight_oclock_across_daylight_saving_changes():
    # Clocks spring forward on 2025-03-09 and fall back on 2025-11-02.
    every_day = frozenset(schedules.WEEKDAYS)
    spring = schedules.slot_starts(weekly(date(2025, 3, 8), date(2025, 3, 10), weekdays=every_day, slot_minutes=60))
    assert [s.astimezone(UTC).hour for s in spring] == [13, 12, 12]  # 08:00 EST, then 08:00 EDT
    autumn = schedules.slot_starts(weekly(date(2025, 11, 1), date(2025, 11, 3), weekdays=every_day, slot_minutes=60))
    assert [s.astimezone(UTC).hour for s in autumn] == [12, 13, 13]
    assert all(s.strftime("%H:%M") == "08:00" for s in spring + autumn)


def test_night_hours_skip_the_missing_hour_and_open_a_repeated_hour_once():
    night = {"weekdays": frozenset({"sun"}), "hours": (time(1, 0), time(4, 0)), "slot_minutes": 30}
    spring = schedules.slot_starts(weekly(date(2025, 3, 9), date(2025, 3, 9), **night))
    assert [s.strftime("%H:%M") for s in spring] == ["01:00", "01:30", "03:00", "03:30"]
    autumn = schedules.slot_starts(weekly(date(2025, 11, 2), date(2025, 11, 2), **night))
    assert [s.strftime("%H:%M") for s in autumn] == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    instants = [s.astimezone(UTC) for s in autumn]
    assert instants == sorted(set(instants))  # no two slots at the same instant


def test_slot_ids_are_deterministic_per_service_and_instant():
    service = uuid.uuid4()
    start = datetime(2025, 6, 2, 8, 0, tzinfo=schedules.TZ)
    assert schedules.slot_id(service, start) == schedules.slot_id(service, start.astimezone(UTC))
    assert schedules.slot_id(service, start) != schedules.slot_id(uuid.uuid4(), start)


def test_the_fingerprint_ignores_the_order_things_were_given_in():
    service = uuid.uuid4()
    a = weekly(date(2025, 6, 2), date(2025, 6, 8), weekdays=frozenset({"mon", "fri"}))
    b = weekly(date(2025, 6, 2), date(2025, 6, 8), weekdays=frozenset({"fri", "mon"}))
    assert schedules.fingerprint(service, a, 3) == schedules.fingerprint(service, b, 3)
    assert schedules.fingerprint(service, a, 3) != schedules.fingerprint(service, a, 4)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"weekdays": frozenset()}, "invalid_weekdays", "weekdays"),
        ({"valid_to": date(2025, 6, 1)}, "invalid_date_range", "valid_to"),
        ({"valid_to": date(2026, 6, 3)}, "date_range_too_long", "valid_to"),
        ({"hours": (time(9, 0), time(8, 0))}, "invalid_hours", "start_time"),
        ({"slot_minutes": 90}, "slot_longer_than_hours", "slot_minutes"),
        ({"exceptions": {date(2025, 7, 1): []}}, "exception_out_of_range", "exceptions"),
        ({"exceptions": {date(2025, 6, 3): [(time(12, 0), time(11, 0))]}}, "invalid_hours", "exceptions"),
    ],
)
def test_bad_schedules_are_refused_in_both_languages(overrides, code, field):
    with pytest.raises(ApiError) as refused:
        schedules.validate(weekly(date(2025, 6, 2), date(2025, 6, 8), **overrides))
    assert (refused.value.status, refused.value.code, refused.value.field) == (422, code, field)
    assert refused.value.fr != refused.value.en


def test_a_good_schedule_passes():
    schedules.validate(weekly(date(2025, 6, 2), date(2025, 6, 8)))
