"""A clinic's rules as a citizen's page shows them: the instructions before the visit in the page's language, and
whether the appointment can still be cancelled or moved online or the citizen must now call the clinic.

Appointments answers each appointment with `cancel_cutoff_hours`, `changeable_until` (its start less the
cut-off; null once its state allows no change), `clinic_phone` and `instructions_fr` / `instructions_en`; it
refuses a change past the cut-off itself (409 too_late_to_change). The page draws the same rule so that a
citizen is told before pressing a button that would be refused.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict

# The refusal's code when the API holds the clinic's cut-off against a change.
TOO_LATE = "too_late_to_change"


class Phone(TypedDict):
    shown: str  # as people dial it here: (514) 555-0100
    tel: str  # for a tel: link: +15145550100


class VisitRules(TypedDict):
    instructions: str  # in the page's language; empty when the clinic wrote none in it
    too_late: bool  # past the cut-off: no cancel or move button, call the clinic instead
    cutoff_hours: int
    phone: Phone | None


def clinic_phone(stored: str | None) -> Phone | None:
    """A North American number written as appointments' refusal writes it; anything else shown as stored."""
    if not stored or not stored.strip():
        return None
    digits = re.sub(r"\D", "", stored)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        return {"shown": f"({digits[:3]}) {digits[3:6]}-{digits[6:]}", "tel": f"+1{digits}"}
    return {"shown": stored.strip(), "tel": re.sub(r"[^\d+]", "", stored)}


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def visit_rules(appointment: Mapping[str, Any], lang: str, now: datetime | None = None) -> VisitRules:
    cutoff = int(appointment.get("cancel_cutoff_hours") or 0)
    until = _instant(appointment.get("changeable_until"))
    moment = now or datetime.now(UTC)
    # As appointments' require_changeable: a cut-off of 0 holds nothing against a booked appointment.
    too_late = appointment.get("status") == "booked" and cutoff > 0 and until is not None and moment > until
    return {
        "instructions": str(appointment.get(f"instructions_{lang}") or "").strip(),
        "too_late": too_late,
        "cutoff_hours": cutoff,
        "phone": clinic_phone(appointment.get("clinic_phone")),
    }


def refused_as_too_late(errors: Sequence[Mapping[str, object]]) -> bool:
    return any(error.get("code") == TOO_LATE for error in errors)
