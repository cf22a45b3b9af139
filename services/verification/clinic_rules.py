"""Who may do what at the front desk, and the refusals the console shows: no I/O."""

import uuid

from shared.errors import ApiError
from shared.request_context import Staff

MANAGER, CLERK = "manager", "clerk"
FRONT_DESK = frozenset({MANAGER, CLERK})

# Identity reasons (IdentityInvalidated.reason) and association reasons (AssociationRevoked.reason).
PROFILE_CHANGED = "profile_changed"
ACCOUNT_DELETED = "account_deleted"
DEPENDANT_REMOVED = "dependant_removed"
IDENTITY_CHANGED = "identity_changed"
HOLDER_IDENTITY_INVALIDATED = "holder_identity_invalidated"
# A newer confirmation of the same person replaces the previous one; nothing turns red, no event.
SUPERSEDED = "superseded"

SYSTEM_ACTOR = "system"


# Same answer for "not yours" and "does not exist": staff cannot probe other establishments.
ESTABLISHMENT_NOT_FOUND = ApiError(404, "not_found", None, "Ressource introuvable.", "Resource not found.")
STAFF_ROLE_REQUIRED = ApiError(
    403,
    "forbidden",
    None,
    "Cet espace n'est pas accessible avec ce compte.",
    "This area is not available to this account.",
)
MANAGER_REQUIRED = ApiError(
    403,
    "manager_required",
    None,
    "Seul un gestionnaire de l'établissement peut consulter le journal d'audit.",
    "Only a manager of the establishment can read the audit log.",
)
NOT_CONFIRMED = ApiError(
    422,
    "confirmation_required",
    "confirmed",
    "Cochez la case pour confirmer avoir validé l'identité du patient.",
    "Tick the box to confirm you have validated the patient's identity.",
)
IDENTITY_NOT_VALIDATED = ApiError(
    409,
    "identity_not_validated",
    "account_id",
    "Validez d'abord l'identité du détenteur du compte, puis l'association du patient.",
    "First validate the account holder's identity, then the patient's association.",
)
SAME_PERSON = ApiError(
    422,
    "same_person",
    "person_id",
    "Le détenteur du compte n'a pas à être associé à son propre compte.",
    "The account holder does not need to be associated with their own account.",
)


# A clinic validates, and reads the state of, only people it has an appointment with (clinic_patients.py).
# 404 as for every object of another establishment: the clerk learns nothing of people who are not theirs.
NOT_A_PATIENT_HERE = ApiError(
    404,
    "not_a_patient_here",
    "account_id",
    "Cette personne n'a aucun rendez-vous dans votre établissement.",
    "This person has no appointment at your establishment.",
)
PATIENT_NOT_HERE = ApiError(
    404,
    "not_a_patient_here",
    "person_id",
    "Ce patient n'a aucun rendez-vous pris de ce compte dans votre établissement.",
    "This patient has no appointment booked from this account at your establishment.",
)
NOT_PATIENTS_HERE = ApiError(
    404,
    "not_a_patient_here",
    "account_ids",
    "Au moins une de ces personnes n'a aucun rendez-vous dans votre établissement.",
    "At least one of these people has no appointment at your establishment.",
)
# Accounts found that the NAM a clerk confirmed is not the one the citizen entered (IdentityValidated):
# no link was made, the citizen is asked to correct their NAM, and the clinic validates again.
NAM_DISCREPANCY = "nam_discrepancy"


def authorise(staff: Staff, establishment_id: uuid.UUID, *, manager_only: bool = False) -> None:
    """Staff act within their own establishment only; the audit log is for managers."""
    if staff.establishment_id != establishment_id:
        raise ESTABLISHMENT_NOT_FOUND
    if staff.role not in FRONT_DESK:
        raise STAFF_ROLE_REQUIRED
    if manager_only and staff.role != MANAGER:
        raise MANAGER_REQUIRED


# Citizens' association requests.
PENDING, ACCEPTED, REFUSED, WITHDRAWN = "pending", "accepted", "refused", "withdrawn"

REQUEST_NOT_FOUND = ApiError(
    404, "not_found", "request_id", "Demande d'association introuvable.", "Association request not found."
)
REQUEST_ALREADY_DECIDED = ApiError(
    409,
    "already_decided",
    "request_id",
    "Cette demande a déjà été traitée.",
    "This request has already been dealt with.",
)
ALREADY_ASSOCIATED = ApiError(
    409,
    "already_associated",
    "person_id",
    "Une clinique a déjà validé l'association de cette personne avec votre compte.",
    "A clinic has already validated this person's association with your account.",
)
