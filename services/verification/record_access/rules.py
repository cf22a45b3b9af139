"""Which audit rows a citizen is shown about themselves and their family, and how the staff member is named.

Only what clinic staff did: reading the front desk's list or one appointment, booking, moving or cancelling for
a caller, validating an identity or an association, deciding an association request. The system's own rows
(a validation ended because the citizen changed their profile) and the citizen's own requests are not accesses.
"""

from typing import Literal

DAY_LIST_VIEWED = "patient_records_viewed:day_list"
APPOINTMENT_VIEWED = "patient_records_viewed:appointment"

# Rows that name appointments (details.appointment_ids for a read, details.appointment_id for a caller's booking):
# shown for the appointments the account may see, as appointments decides it.
APPOINTMENT_ACTIONS = (
    DAY_LIST_VIEWED,
    APPOINTMENT_VIEWED,
    "caller_booked",
    "caller_rescheduled",
    "caller_cancelled",
)
# Rows about the account itself (its holder's identity) or one of its people (an association): shown to that
# account only, whoever is linked with it.
ACCOUNT_ACTIONS = (
    "identity_validated",
    "association_validated",
    "association_request_accepted",
    "association_request_refused",
)

# Enough for years of a family's visits; the newest are kept when there are more.
MOST_ENTRIES = 1000
# A request names at most this many appointments (an account's whole history fits many times over).
MOST_APPOINTMENTS = 5000

StaffRole = Literal["clerk", "manager"]


def shown_role(actor_role: str | None) -> StaffRole | None:
    """The capacity the staff member acted in, never who: None when the row predates roles in the log."""
    if actor_role == "clerk":
        return "clerk"
    if actor_role == "manager":
        return "manager"
    return None
