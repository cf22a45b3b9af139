"""What a clinic may validate and why it is refused, and what it validated reduced to keyed digests: no I/O.

The identity fields are never kept in clear. The fingerprint lets the service (and its readers) tell whether
the identity a clinic confirmed is the one on file, without holding names, birth date, sex or NAM. The NAM
digest uses the accounts service's key derivation so that both services produce equal values for one NAM,
which is what linking needs.
"""

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date

from shared.nam import nam_hmac, normalize_nam
from shared.refusals import Refused

# Identity reasons (IdentityInvalidated.reason) and association reasons (AssociationRevoked.reason).
PROFILE_CHANGED = "profile_changed"
ACCOUNT_DELETED = "account_deleted"
DEPENDANT_REMOVED = "dependant_removed"
IDENTITY_CHANGED = "identity_changed"
HOLDER_IDENTITY_INVALIDATED = "holder_identity_invalidated"
# A newer confirmation of the same person replaces the previous one; nothing turns red, no event.
SUPERSEDED = "superseded"
# Accounts found that the NAM a clerk confirmed is not the one the citizen entered (IdentityValidated):
# no link was made, the citizen is asked to correct their NAM, and the clinic validates again.
NAM_DISCREPANCY = "nam_discrepancy"

SYSTEM_ACTOR = "system"

# The console's administration (issue 21), as accounts and appointments report it: the audit log's actions.
STAFF_INVITED = "staff_invited"
CALLER_BOOKED = "caller_booked"
CALLER_CANCELLED = "caller_cancelled"
CALLER_RESCHEDULED = "caller_rescheduled"
# EstablishmentChanged.action -> the audit log's action (a bare "created" would not say what was).
ESTABLISHMENT_ACTIONS = {
    "created": "establishment_created",
    "updated": "establishment_updated",
    "service_added": "service_added",
    "rules_changed": "rules_changed",
}


class NotConfirmed(Refused):
    """The clerk did not tick the box confirming they validated the patient's identity."""


class IdentityNotValidated(Refused):
    """An association is validated only once the holder's identity is (the front desk's order)."""


class SamePerson(Refused):
    """The holder is not associated with their own account."""


# A clinic validates, and reads the state of, only people it has an appointment with (clinic_patients).
# 404 as for every object of another establishment: the clerk learns nothing of people who are not theirs.
class NotAPatientHere(Refused):
    """The account has no appointment at the establishment."""


class PatientNotHere(NotAPatientHere):
    """This patient has no appointment booked from the account at the establishment."""


class NotPatientsHere(NotAPatientHere):
    """At least one of the accounts read has no appointment at the establishment."""


# Letters NFKD does not decompose.
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss"})
# Cannot occur in a folded name: fields joined with it cannot run into one another.
_SEPARATOR = "\x1f"


def fold_name(name: str) -> str:
    """Case, accents, spaces and punctuation fold away: 'Lévesque-D'Amour ' == 'LEVESQUE DAMOUR'."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_LIGATURES))
    return "".join(char for char in decomposed if char.isalnum() and not unicodedata.combining(char)).upper()


@dataclass(frozen=True)
class IdentityKeys:
    fingerprint: bytes
    nam: bytes

    @classmethod
    def derive(cls, secret: str, nam_key: str) -> "IdentityKeys":
        return cls(
            fingerprint=hmac.new(secret.encode(), b"verification/identity-fingerprint", hashlib.sha256).digest(),
            # Same derivation as services/accounts/links/rules.py: equal digests for one NAM and key.
            nam=hashlib.sha256(b"nam-hmac:" + nam_key.encode()).digest(),
        )


@dataclass(frozen=True)
class ConfirmedIdentity:
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    nam: str | None


def identity_fingerprint(key: bytes, identity: ConfirmedIdentity) -> str:
    fields = (
        fold_name(identity.last_name),
        fold_name(identity.first_name),
        identity.birth_date.isoformat(),
        identity.sex.strip().upper(),
        normalize_nam(identity.nam) if identity.nam else "",
    )
    return hmac.new(key, _SEPARATOR.join(fields).encode(), hashlib.sha256).hexdigest()


def identity_nam_hmac(key: bytes, nam: str | None) -> str | None:
    return nam_hmac(key, nam) if nam else None
