"""When a reminder may go out: 08:00 to 21:00 at the place, never after the appointment (no I/O).

Rules, in the place's time zone:
- a reminder due inside [08:00, 21:00) goes out when due;
- one due outside moves to the next 08:00 ...
- ... unless that is not before the appointment (e.g. a 07:00 blood test reminded 2 h ahead): then it
  moves *earlier*, to 20:30 the evening before the due time, the last half hour of the previous window
  (not 21:00 itself: a scheduler a few seconds late would then find itself outside the window);
- offsets are elapsed hours ("24 h before" a 10:00 appointment on the morning after a DST change is
  09:00 or 11:00 local the day before), and the window is applied to local wall-clock times, so a
  shift to 08:00 is 08:00 on the clock on the wall whatever the UTC offset that day.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

OPENS = time(8, 0)
CLOSES = time(21, 0)
LAST_CALL = time(20, 30)


def in_window(moment: datetime, timezone: str) -> bool:
    local = moment.astimezone(ZoneInfo(timezone)).time()
    return OPENS <= local < CLOSES


def next_opening(moment: datetime, timezone: str) -> datetime:
    """The first 08:00 local strictly after `moment` (today's if still ahead, else tomorrow's)."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    day = local.date() if local.time() < OPENS else local.date() + timedelta(days=1)
    # Built from the wall-clock date, not by adding hours, so DST days come out right.
    return datetime.combine(day, OPENS, tzinfo=zone).astimezone(UTC)


def previous_last_call(moment: datetime, timezone: str) -> datetime:
    """The latest 20:30 local at or before `moment`."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    day = local.date() if local.time() >= LAST_CALL else local.date() - timedelta(days=1)
    return datetime.combine(day, LAST_CALL, tzinfo=zone).astimezone(UTC)


def send_time(due: datetime, starts_at: datetime, timezone: str) -> datetime:
    """Where a reminder due at `due` actually goes out (always inside the window, before `starts_at`
    when `due` is)."""
    if in_window(due, timezone):
        return due.astimezone(UTC)
    opening = next_opening(due, timezone)
    if opening < starts_at:
        return opening
    return previous_last_call(due, timezone)


def plan(starts_at: datetime, offsets_hours: Sequence[float], timezone: str, now: datetime) -> dict[int, datetime]:
    """Send times by offset (in minutes) for an appointment booked or moved at `now`.

    A reminder whose send time is already past is not created, rather than sent at once: the patient
    has just received the booking (or reschedule) notice, which says the same thing. Offsets that land
    on the same send time once moved into the window give one reminder, the longest offset's.
    """
    # In UTC: subtracting from a datetime carrying a ZoneInfo would count wall-clock hours, not elapsed ones.
    starts_at = starts_at.astimezone(UTC)
    planned: dict[int, datetime] = {}
    for hours in sorted(offsets_hours, reverse=True):
        minutes = round(hours * 60)
        at = send_time(starts_at - timedelta(minutes=minutes), starts_at, timezone)
        if at > now and at < starts_at and at not in planned.values():
            planned[minutes] = at
    return planned
