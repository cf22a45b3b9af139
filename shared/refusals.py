"""Business refusals, free of I/O: what `rules.py` and `use_cases.py` raise, and how a service words them.

The wording table is applied at the HTTP edge (shared/errors.py); nothing here knows HTTP or a framework.
"""

from collections.abc import Mapping
from dataclasses import dataclass


class Refused(Exception):  # noqa: N818 - a refusal is an answer, not an error
    """A business rule said no. Raised by `rules.py` and `use_cases.py`, it carries facts only (the state that
    forbade it, how long to wait), never a status or a sentence: each service's `refusals.py` words it, in one
    table, at the HTTP edge. A subclass per reason; its attributes fill the wording's `{placeholders}`."""

    # Seconds until asking again may succeed: sent as Retry-After when set.
    retry_after: int | None = None


@dataclass(frozen=True)
class Wording:
    """How the HTTP edge answers one kind of `Refused`: status, code, field and the reason in French and
    English. The texts may name the exception's attributes: `"état : {status}"`, and so may the field, for a
    refusal that more than one request makes about its own field (`"{field}"`)."""

    status: int
    code: str
    field: str | None
    fr: str
    en: str


RefusalTable = Mapping[type[Refused], Wording]


def wording_of(table: RefusalTable, refusal: Refused) -> Wording:
    """The entry for the refusal's class or, failing that, its nearest ancestor's."""
    for cls in type(refusal).__mro__:
        if cls in table:
            return table[cls]
    raise LookupError(f"{type(refusal).__name__} has no wording in this service's refusals table")
