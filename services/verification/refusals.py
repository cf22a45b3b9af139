"""How verification words each business refusal at the HTTP edge: status, code, field, French, English.

The one table of the service, passed to create_service_app; the texts are the console's and the portal's.
"""

from services.verification.association_requests.rules import AlreadyAssociated, RequestAlreadyDecided, RequestNotFound
from services.verification.codes.rules import (
    ChallengeNotFound,
    CodeExpired,
    CodeSuperseded,
    CodeUsed,
    GuessesLocked,
    GuessesLockedForAnHour,
    TooManyAttempts,
    TooManyAttemptsAskAgain,
    TooManyCodes,
    WrongCode,
    WrongCodeNoTriesLeft,
    WrongCodeNowLocked,
    WrongCodeOneTryLeft,
    WrongPurpose,
)
from services.verification.validations.rules import (
    IdentityNotValidated,
    NotAPatientHere,
    NotConfirmed,
    NotPatientsHere,
    PatientNotHere,
    SamePerson,
)
from shared.refusals import RefusalTable, Wording
from shared.staff import STAFF_REFUSALS, ManagerRequired

REFUSALS: RefusalTable = {
    **STAFF_REFUSALS,
    # Only the audit log takes a manager here: the sentence says so.
    ManagerRequired: Wording(
        403,
        "manager_required",
        None,
        "Seul un gestionnaire de l'établissement peut consulter le journal d'audit.",
        "Only a manager of the establishment can read the audit log.",
    ),
    # One-time codes.
    ChallengeNotFound: Wording(404, "challenge_not_found", "code", "Code introuvable.", "Code not found."),
    WrongPurpose: Wording(
        422,
        "wrong_purpose",
        "purpose",
        "Ce code ne sert pas à cette opération.",
        "This code is not for this operation.",
    ),
    TooManyCodes: Wording(
        429,
        "too_many_codes",
        "code",
        "Trop de codes ont été demandés. Réessayez dans une heure.",
        "Too many codes were requested. Please try again in an hour.",
    ),
    CodeSuperseded: Wording(
        410,
        "code_superseded",
        "code",
        "Un nouveau code vous a été envoyé : utilisez le plus récent.",
        "A newer code was sent to you: please use the latest one.",
    ),
    CodeUsed: Wording(410, "code_used", "code", "Ce code a déjà été utilisé.", "This code has already been used."),
    CodeExpired: Wording(
        410,
        "code_expired",
        "code",
        "Ce code a expiré. Demandez-en un nouveau.",
        "This code has expired. Ask for a new one.",
    ),
    # The time is Montréal's, rounded up to the minute (shared/wait_words.py); the page adds what to do then.
    TooManyAttempts: Wording(
        429,
        "too_many_attempts",
        "code",
        "Trop d'essais incorrects : par sécurité, ce code est bloqué. Vous pourrez demander un nouveau code à"
        " partir de {at_fr} ({wait_fr}).",
        "Too many wrong tries: for your security, this code is locked. You can ask for a new code from {at_en}"
        " ({wait_en}).",
    ),
    TooManyAttemptsAskAgain: Wording(
        429,
        "too_many_attempts",
        "code",
        "Trop d'essais incorrects : ce code est bloqué. Demandez un nouveau code avec le bouton « Envoyer un"
        " nouveau code ».",
        "Too many wrong tries: this code is locked. Ask for a new code with the “Send a new code” button.",
    ),
    GuessesLocked: Wording(
        429,
        "too_many_wrong_codes",
        "code",
        "Trop de codes incorrects ont été saisis pour ce compte. Réessayez dans environ {hours} heures.",
        "Too many wrong codes were entered for this account. Please try again in about {hours} hours.",
    ),
    GuessesLockedForAnHour: Wording(
        429,
        "too_many_wrong_codes",
        "code",
        "Trop de codes incorrects ont été saisis pour ce compte. Réessayez dans environ {hours} heure.",
        "Too many wrong codes were entered for this account. Please try again in about {hours} hour.",
    ),
    WrongCode: Wording(
        422,
        "wrong_code",
        "code",
        "Code incorrect. Il vous reste {attempts_remaining} essais.",
        "Wrong code. {attempts_remaining} tries left.",
    ),
    WrongCodeOneTryLeft: Wording(
        422, "wrong_code", "code", "Code incorrect. Il vous reste 1 essai.", "Wrong code. 1 try left."
    ),
    WrongCodeNoTriesLeft: Wording(
        422, "wrong_code", "code", "Code incorrect. Il ne reste aucun essai.", "Wrong code. No tries left."
    ),
    WrongCodeNowLocked: Wording(
        422,
        "wrong_code",
        "code",
        "Code incorrect. Il ne reste aucun essai : par sécurité, ce code est bloqué. Vous pourrez demander un"
        " nouveau code à partir de {at_fr} ({wait_fr}).",
        "Wrong code. No tries left: for your security, this code is locked. You can ask for a new code from"
        " {at_en} ({wait_en}).",
    ),
    # Clinic validations.
    NotConfirmed: Wording(
        422,
        "confirmation_required",
        "confirmed",
        "Cochez la case pour confirmer avoir validé l'identité du patient.",
        "Tick the box to confirm you have validated the patient's identity.",
    ),
    IdentityNotValidated: Wording(
        409,
        "identity_not_validated",
        "account_id",
        "Validez d'abord l'identité du détenteur du compte, puis l'association du patient.",
        "First validate the account holder's identity, then the patient's association.",
    ),
    SamePerson: Wording(
        422,
        "same_person",
        "person_id",
        "Le détenteur du compte n'a pas à être associé à son propre compte.",
        "The account holder does not need to be associated with their own account.",
    ),
    # 404 as for every object of another establishment: the clerk learns nothing of people who are not theirs.
    NotAPatientHere: Wording(
        404,
        "not_a_patient_here",
        "account_id",
        "Cette personne n'a aucun rendez-vous dans votre établissement.",
        "This person has no appointment at your establishment.",
    ),
    PatientNotHere: Wording(
        404,
        "not_a_patient_here",
        "person_id",
        "Ce patient n'a aucun rendez-vous pris de ce compte dans votre établissement.",
        "This patient has no appointment booked from this account at your establishment.",
    ),
    NotPatientsHere: Wording(
        404,
        "not_a_patient_here",
        "account_ids",
        "Au moins une de ces personnes n'a aucun rendez-vous dans votre établissement.",
        "At least one of these people has no appointment at your establishment.",
    ),
    # Citizens' association requests.
    RequestNotFound: Wording(
        404, "not_found", "request_id", "Demande d'association introuvable.", "Association request not found."
    ),
    RequestAlreadyDecided: Wording(
        409,
        "already_decided",
        "request_id",
        "Cette demande a déjà été traitée.",
        "This request has already been dealt with.",
    ),
    AlreadyAssociated: Wording(
        409,
        "already_associated",
        "person_id",
        "Une clinique a déjà validé l'association de cette personne avec votre compte.",
        "A clinic has already validated this person's association with your account.",
    ),
}
