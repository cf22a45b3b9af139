"""What a clinic validated, reduced to keyed digests: the identity fields are never kept in clear.

The fingerprint lets the service (and its readers) tell whether the identity a clinic confirmed is the
one on file, without holding names, birth date, sex or NAM. The NAM digest uses the accounts service's
key derivation so that both services produce equal values for one NAM, which is what linking needs.
"""

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date

from shared.nam import nam_hmac, normalize_nam

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
            # Same derivation as services/accounts/personal_data.py: equal digests for one NAM and key.
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
