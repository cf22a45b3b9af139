"""How a refusal says when to come back: a clock time in Montréal, the platform's time zone, in French and English,
and how long that is from now. Free of I/O, for the services' rules and refusals."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

PLATFORM_TIMEZONE = ZoneInfo("America/Montreal")
NBSP = "\u00a0"
# Up to this, the wait is said in minutes; past it, in hours (a bound on guesses lasts up to a day).
MINUTES_SAID_UP_TO = 90


@dataclass(frozen=True)
class ComeBackAt:
    """'14 h 36' / '2:36 p.m.' (prefixed 'demain' / 'tomorrow' on the next day), 'dans 16 min' / 'in 16 min', and
    `retry_after` in seconds, for the Retry-After header."""

    at_fr: str
    at_en: str
    wait_fr: str
    wait_en: str
    retry_after: int


def come_back_at(moment: datetime, now: datetime) -> ComeBackAt:
    # Rounded up to the minute: whoever comes back at the minute said is never early.
    whole = moment.astimezone(PLATFORM_TIMEZONE)
    if whole.second or whole.microsecond:
        whole = whole.replace(second=0, microsecond=0) + timedelta(minutes=1)
    hour, minute = whole.hour, whole.minute
    # As Québec writes it (OQLF): no leading zero, no minutes on the hour; no-break spaces keep it on one line.
    at_fr = f"{hour}{NBSP}h" if minute == 0 else f"{hour}{NBSP}h{NBSP}{minute:02d}"
    at_en = f"{(hour - 1) % 12 + 1}:{minute:02d}{NBSP}{'a.m.' if hour < 12 else 'p.m.'}"
    days = (whole.date() - now.astimezone(PLATFORM_TIMEZONE).date()).days
    if days == 1:
        at_fr, at_en = f"demain, {at_fr}", f"tomorrow, {at_en}"
    elif days > 1:
        at_fr, at_en = f"{whole:%Y-%m-%d}, {at_fr}", f"{whole:%Y-%m-%d}, {at_en}"
    seconds = max(1, math.ceil((moment - now).total_seconds()))
    # Counted to the minute said, so that the two never disagree ("10 h 16 (dans 16 min)" at 10:00:20).
    minutes = max(1, math.ceil((whole - now).total_seconds() / 60))
    if minutes <= MINUTES_SAID_UP_TO:
        wait_fr, wait_en = f"dans {minutes}{NBSP}min", f"in {minutes}{NBSP}min"
    else:
        hours = round(minutes / 60)
        wait_fr = f"dans environ {hours}{NBSP}heure{'s' if hours > 1 else ''}"
        wait_en = f"in about {hours}{NBSP}hour{'s' if hours > 1 else ''}"
    return ComeBackAt(at_fr, at_en, wait_fr, wait_en, seconds)
