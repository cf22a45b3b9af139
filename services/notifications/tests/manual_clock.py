"""A clock the test sets by hand: the service's "now" moves only when the test says so."""

from datetime import datetime


class ManualClock:
    def __init__(self, start: datetime) -> None:
        self.set(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        assert moment.tzinfo is not None, "the service works with aware datetimes only"
        self._now = moment
