"""The accounts service's one table of refusals: how each business refusal is answered over HTTP (status, code,
field, and the reason in French and English). The texts are those clients already know: keep them."""

from services.accounts.family.rules import PersonNotFound
from services.accounts.profile.rules import (
    AccountNotFound,
    InvalidEmail,
    InvalidNam,
    InvalidNewValue,
    InvalidPhone,
    NewValueTooLong,
    WrongCurrentPassword,
    WrongPassword,
)
from services.accounts.registration.rules import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    ChallengeNotFound,
    PasswordBuiltOnName,
    PasswordTooCommon,
    PasswordTooGuessable,
    PasswordTooLong,
    PasswordTooShort,
    ResendTooSoon,
)
from services.accounts.sessions.rules import (
    AccountNotActive,
    AlreadyStaff,
    BadCredentials,
    CodeAlreadyUsed,
    FactorChallengeExpired,
    InvalidOperatorDetails,
    OperatorEmailIsCitizen,
    RoleNotHeld,
    SessionExpired,
    StaffDisabled,
    StaffNotFound,
    TooManyAttempts,
    WrongCode,
)
from services.accounts.staff.rules import (
    AlreadyStaffHere,
    CannotDisableSelf,
    EmailIsCitizen,
    InvitationInvalid,
    LastManager,
    MemberNotFound,
    NameRequired,
    OperatorCannotJoin,
    PasswordRequired,
)
from shared.contact import CONTACT_REFUSALS
from shared.errors import DEFAULT_FR, MESSAGES
from shared.refusals import RefusalTable, Wording
from shared.staff import STAFF_REFUSALS, EstablishmentNotFound, ManagerRequired, OperatorRequired, StaffRoleRequired


def _weak(fr: str, en: str) -> Wording:
    # On the request's own field that held it (WeakPassword.field): password, new_password or new_value.
    return Wording(422, "weak_password", "{field}", fr, en)


def _new_value(code: str) -> Wording:
    return Wording(422, code, "new_value", *MESSAGES[code])


_NOT_FOUND = Wording(404, "not_found", None, "Introuvable.", "Not found.")
# The staff list and its administration are for the establishment's own managers, whatever else the caller is.
_MANAGERS_OF_THEIR_OWN = Wording(
    403,
    "managers_only",
    None,
    "Seul un gestionnaire de l'établissement peut consulter ou administrer son personnel.",
    "Only a manager of the establishment can read or administer its staff.",
)

REFUSALS: RefusalTable = {
    **CONTACT_REFUSALS,
    # Sign-in and sessions
    BadCredentials: Wording(
        401, "bad_credentials", "password", "Identifiant ou mot de passe incorrect.", "Wrong identifier or password."
    ),
    AccountNotActive: Wording(
        403,
        "account_not_active",
        "identifier",
        "Confirmez d'abord votre courriel ou votre cellulaire avec le code reçu.",
        "First confirm your email or mobile phone with the code you received.",
    ),
    TooManyAttempts: Wording(
        429,
        "too_many_attempts",
        "password",
        "Trop de tentatives. Réessayez dans {seconds} secondes.",
        "Too many attempts. Try again in {seconds} seconds.",
    ),
    SessionExpired: Wording(401, "session_expired", None, "Session expirée.", "Session expired."),
    StaffNotFound: _NOT_FOUND,
    # Staff sign-in: the second factor
    StaffDisabled: Wording(
        403,
        "staff_disabled",
        None,
        "Ce compte du personnel est désactivé : il ne donne accès à aucun établissement. Adressez-vous à votre "
        "gestionnaire.",
        "This staff account is disabled: it gives access to no establishment. Ask your manager.",
    ),
    WrongCode: Wording(
        422,
        "wrong_code",
        "code",
        "Code incorrect. Essais restants : {tries_left}.",
        "Wrong code. Tries left: {tries_left}.",
    ),
    CodeAlreadyUsed: Wording(
        422,
        "code_already_used",
        "code",
        "Ce code a déjà servi. Attendez le suivant dans votre application d'authentification.",
        "This code has already been used. Wait for the next one in your authenticator app.",
    ),
    FactorChallengeExpired: Wording(
        401,
        "factor_challenge_expired",
        None,
        "Cette étape de connexion a expiré ou a reçu trop de codes incorrects. Reconnectez-vous avec votre mot "
        "de passe.",
        "This sign-in step has expired or received too many wrong codes. Sign in again with your password.",
    ),
    RoleNotHeld: _NOT_FOUND,
    OperatorEmailIsCitizen: Wording(
        409,
        "email_is_citizen",
        "email",
        "Cette adresse est celle d'un compte citoyen : le personnel utilise une autre adresse.",
        "This address belongs to a citizen account: staff use another address.",
    ),
    AlreadyStaff: Wording(
        409,
        "already_staff",
        "email",
        "Cette adresse est déjà celle d'un membre du personnel.",
        "This address already belongs to a staff member.",
    ),
    InvalidOperatorDetails: Wording(
        422, "invalid_value", None, "Valeur invalide : {field}.", "Invalid value: {field}."
    ),
    EstablishmentNotFound: _MANAGERS_OF_THEIR_OWN,
    StaffRoleRequired: _MANAGERS_OF_THEIR_OWN,
    ManagerRequired: _MANAGERS_OF_THEIR_OWN,
    # Registration and codes
    PasswordTooShort: _weak(
        f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères.",
        f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.",
    ),
    PasswordTooLong: _weak(
        f"Le mot de passe ne peut dépasser {MAX_PASSWORD_LENGTH} caractères.",
        f"The password cannot be longer than {MAX_PASSWORD_LENGTH} characters.",
    ),
    # Each says what to do instead: a phrase of unrelated words is both the easiest to remember and what the
    # strength estimate rewards (NIST forbids asking for digits or capitals, so none of them asks for those).
    PasswordTooCommon: _weak(
        "Ce mot de passe est trop courant, même avec des chiffres ou des signes ajoutés. Choisissez plutôt une"
        " phrase de 4 mots ou plus sans lien entre eux.",
        "This password is too common, even with numbers or symbols added. Choose a phrase of 4 or more unrelated"
        " words instead.",
    ),
    PasswordBuiltOnName: _weak(
        "Le mot de passe ne doit pas reprendre votre nom ou votre courriel, même avec des chiffres ajoutés."
        " Choisissez plutôt une phrase de 4 mots ou plus sans lien entre eux.",
        "The password must not be built on your name or email address, even with numbers added. Choose a phrase"
        " of 4 or more unrelated words instead.",
    ),
    PasswordTooGuessable: _weak(
        "Ce mot de passe serait trop facile à deviner. Choisissez plutôt une phrase de 4 mots ou plus sans lien"
        " entre eux.",
        "This password would be too easy to guess. Choose a phrase of 4 or more unrelated words instead.",
    ),
    ChallengeNotFound: _NOT_FOUND,
    # Montréal time, rounded up to the minute (shared/wait_words.py); the code page keeps the button beside it.
    ResendTooSoon: Wording(
        429,
        "resend_too_soon",
        "code",
        "Par sécurité, un nouveau code ne peut être envoyé qu'à partir de {at_fr} ({wait_fr}). Revenez à cette"
        " heure-là et choisissez « Envoyer un nouveau code ».",
        "For your security, a new code can only be sent from {at_en} ({wait_en}). Come back then and choose"
        " “Send a new code”.",
    ),
    # The holder's account
    AccountNotFound: _NOT_FOUND,
    WrongPassword: Wording(403, "wrong_password", "password", "Mot de passe incorrect.", "Wrong password."),
    WrongCurrentPassword: Wording(
        403, "wrong_password", "current_password", "Mot de passe incorrect.", "Wrong password."
    ),
    InvalidEmail: _new_value("invalid_email"),
    InvalidPhone: _new_value("invalid_phone"),
    InvalidNam: _new_value("invalid_nam"),
    NewValueTooLong: _new_value("string_too_long"),
    InvalidNewValue: Wording(422, "invalid_value", "new_value", DEFAULT_FR, "Invalid value."),
    # Family
    PersonNotFound: _NOT_FOUND,
    # Staff administration (staff/)
    OperatorRequired: STAFF_REFUSALS[OperatorRequired],
    MemberNotFound: _NOT_FOUND,
    AlreadyStaffHere: Wording(
        409,
        "already_staff_here",
        "email",
        "Cette personne fait déjà partie du personnel de l'établissement. Modifiez plutôt son rôle.",
        "This person is already on the establishment's staff. Change their role instead.",
    ),
    LastManager: Wording(
        409,
        "last_manager",
        None,
        "C'est le seul gestionnaire actif de l'établissement : nommez d'abord un autre gestionnaire.",
        "This is the establishment's only active manager: appoint another manager first.",
    ),
    CannotDisableSelf: Wording(
        409,
        "cannot_disable_self",
        None,
        "Vous ne pouvez pas désactiver votre propre accès.",
        "You cannot disable your own access.",
    ),
    InvitationInvalid: Wording(
        404,
        "invitation_invalid",
        "token",
        "Ce lien d'invitation n'est plus valide (déjà utilisé, expiré ou remplacé). "
        "Demandez une nouvelle invitation à votre gestionnaire.",
        "This invitation link is no longer valid (already used, expired or replaced). "
        "Ask your manager for a new invitation.",
    ),
    EmailIsCitizen: Wording(
        409,
        "email_is_citizen",
        None,
        "Cette adresse est celle d'un compte citoyen : le personnel doit utiliser une autre adresse, "
        "professionnelle. Demandez à votre gestionnaire une invitation à une autre adresse.",
        "This address belongs to a citizen account: staff must use another, professional address. "
        "Ask your manager for an invitation to another address.",
    ),
    OperatorCannotJoin: Wording(
        409,
        "email_is_operator",
        None,
        "Cette adresse est celle d'un opérateur de la plateforme, qui n'a pas de rôle en clinique. "
        "Demandez à votre gestionnaire une invitation à une autre adresse.",
        "This address belongs to a platform operator, who holds no clinic role. "
        "Ask your manager for an invitation to another address.",
    ),
    NameRequired: Wording(422, "missing", "name", "Indiquez votre nom.", "Enter your name."),
    PasswordRequired: Wording(422, "missing", "password", "Choisissez un mot de passe.", "Choose a password."),
}
