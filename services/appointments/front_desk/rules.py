"""Front-desk rules, free of I/O: the Suivi icons and which attendance may follow which state."""

import uuid
from typing import Literal

from services.appointments.booking.rules import ARRIVED, BOOKED, FULFILLED, NOSHOW
from shared.refusals import Refused

Icon = Literal["grey", "red", "green"]
Attendance = Literal["arrived", "noshow", "fulfilled"]
# Where staff may move an appointment from each state (FHIR R4 names).
ATTENDANCE: dict[str, frozenset[str]] = {
    ARRIVED: frozenset({BOOKED}),
    NOSHOW: frozenset({BOOKED}),
    FULFILLED: frozenset({ARRIVED}),
}


class AttendanceNotAllowed(Refused):
    def __init__(self, status: str, wanted: str) -> None:
        super().__init__(status, wanted)
        self.status = status
        self.wanted = wanted


def require_attendance_allowed(status: str, wanted: str) -> None:
    if status not in ATTENDANCE[wanted]:
        raise AttendanceNotAllowed(status, wanted)


def suivi_icons(
    account_id: uuid.UUID | None,
    person_id: uuid.UUID | None,
    identity_validated: bool,
    association_validated: bool,
) -> tuple[Icon, Icon]:
    """(profile icon, card icon) of one appointment, as the clinic guide (sections 3.1-3.4) shows them."""
    if account_id is None:
        return "grey", "grey"  # booked without an account: nobody to identify or associate
    profile: Icon = "green" if identity_validated else "red"
    if person_id is None or person_id == account_id:
        # The holder booked for themself: no association to validate, the card follows the profile.
        return profile, profile
    return profile, "green" if association_validated else "red"
