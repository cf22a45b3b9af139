"""The people an account books for, with no I/O: what identifies a person, and how a child shared by two
parents is recognised (see use_cases.py)."""

import uuid
from dataclasses import asdict, dataclass
from datetime import date

from shared.refusals import Refused

# A change to one of these ends a clinic's validation of the person (ProfileChanged.identity_changed).
IDENTITY_FIELDS = frozenset({"first_name", "last_name", "birth_date", "sex", "nam"})
# Group ids derive from the NAM's HMAC (a digest of a digest): stable, and revealing nothing.
GROUP_NAMESPACE = uuid.UUID("9a3c1f52-7d0e-4b6a-8e21-5f4d2c7b9e10")


class PersonNotFound(Refused):
    """No such dependant in this account (or the account is gone)."""


@dataclass(frozen=True)
class DependantIdentity:
    """A dependant as stored: the NAM encrypted for display and as its keyed HMAC for matching."""

    first_name: str
    last_name: str
    birth_date: date
    sex: str
    nam_encrypted: str | None
    nam_hmac: str | None


def changed_fields(current: DependantIdentity, new: DependantIdentity) -> list[str]:
    """The fields a change touches, as events name them (the NAM by its HMAC: its ciphertext always differs)."""
    before = asdict(current)
    changed = sorted(k for k, v in asdict(new).items() if k != "nam_encrypted" and before[k] != v)
    return ["nam" if k == "nam_hmac" else k for k in changed]


def identity_changed(fields: list[str]) -> bool:
    return bool(IDENTITY_FIELDS & set(fields))


def shared_child_group(nam_hmac: str) -> uuid.UUID:
    return uuid.uuid5(GROUP_NAMESPACE, nam_hmac)
