"""How a refusal says when to come back: a clock time in Montréal, the platform's time zone, in French and English,
and the minutes left. Free of I/O, for the services' rules and refusals."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

PLATFORM_TIMEZONE = ZoneInfo("America/Montreal")
NBSP = "\u00a0"


@dataclass(frozen=True)
class ComeBackAt:
    """'14 h 36' / '2:36 p.m.' and the minutes until then; `retry_after` in seconds, for the Retry-After header."""

    at_fr: str
    at_en: str
    minutes: int
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
    seconds = max(1, math.ceil((moment - now).total_seconds()))
    # Counted to the minute said, so that the two never disagree ("10 h 16 (dans 16 min)" at 10:00:20).
    minutes = max(1, math.ceil((whole - now).total_seconds() / 60))
    return ComeBackAt(at_fr, at_en, minutes, seconds)
