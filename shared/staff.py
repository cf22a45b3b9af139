"""Who a staff member is and what they may touch: pure, shared by every service that serves the console.

Staff act within their own establishment only; some acts (schedules, the audit log, the staff list) take a
manager. Platform operators are not clinic staff: they create establishments, appoint their first manager and
reset a staff member's second factor, and read no patient data (their tokens name no establishment). A
person with roles at several establishments signs in without one and chooses it: until then they act nowhere.
A service words these refusals in its own `refusals.py` (`STAFF_REFUSALS` below is the default wording).
"""

import uuid
from dataclasses import dataclass

from shared.refusals import Refused, Wording

MANAGER, CLERK, OPERATOR = "manager", "clerk", "operator"
FRONT_DESK = frozenset({MANAGER, CLERK})


class EstablishmentNotFound(Refused):
    """Not theirs, or does not exist: the same answer, so staff cannot probe other establishments."""


class StaffRoleRequired(Refused):
    pass


class ManagerRequired(Refused):
    pass


class OperatorRequired(Refused):
    pass


@dataclass(frozen=True)
class Staff:
    """A staff member as their verified staff token says: who, which establishment, which role. An operator's
    token, and a token before its holder chose among several establishments, name none."""

    id: uuid.UUID
    establishment_id: uuid.UUID | None
    role: str

    def authorise(self, establishment_id: uuid.UUID, *, manager_only: bool = False) -> None:
        """Raises unless this staff member may act on that establishment (as a manager, if asked)."""
        if self.establishment_id is None or self.establishment_id != establishment_id:
            raise EstablishmentNotFound
        if self.role not in FRONT_DESK:
            raise StaffRoleRequired
        if manager_only and self.role != MANAGER:
            raise ManagerRequired

    def authorise_operator(self) -> None:
        """Raises unless this is a platform operator."""
        if self.role != OPERATOR or self.establishment_id is not None:
            raise OperatorRequired


STAFF_REFUSALS: dict[type[Refused], Wording] = {
    EstablishmentNotFound: Wording(404, "not_found", None, "Ressource introuvable.", "Resource not found."),
    StaffRoleRequired: Wording(
        403,
        "forbidden",
        None,
        "Cet espace n'est pas accessible avec ce compte.",
        "This area is not available to this account.",
    ),
    ManagerRequired: Wording(
        403,
        "manager_required",
        None,
        "Seul un gestionnaire de l'établissement peut faire cela.",
        "Only a manager of the establishment can do this.",
    ),
    OperatorRequired: Wording(
        403,
        "operator_required",
        None,
        "Seul un opérateur de la plateforme peut faire cela.",
        "Only a platform operator can do this.",
    ),
}
