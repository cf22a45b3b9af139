"""Linking accounts by NAM, with no I/O: the protection of the NAM at rest (encrypted for display, keyed HMAC
for linking; never logged), also used for the contacts typed for decoy challenges (registration), which may be
anybody's; and the notices that tell holders about their account."""

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import date

from cryptography.fernet import Fernet

from shared.contracts.accounts import HolderNoticeRequested, HolderNoticeTopic
from shared.nam import identity_key, nam_hmac


class NamVault:
    def __init__(self, key: str) -> None:
        raw = key.encode()
        self._hmac_key = hashlib.sha256(b"nam-hmac:" + raw).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"nam-encryption:" + raw).digest()))
        self._contact_hmac_key = hashlib.sha256(b"contact-hmac:" + raw).digest()
        self._contact_fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"contact-encryption:" + raw).digest()))

    def protect_contact(self, contact: str) -> tuple[str, str]:
        """(ciphertext, lookup hmac) of an email address (any case) or phone number, under keys of their own."""
        ciphertext = self._contact_fernet.encrypt(contact.encode()).decode()
        return ciphertext, self.contact_hmac(contact)

    def contact_hmac(self, contact: str) -> str:
        return hmac.new(self._contact_hmac_key, contact.strip().lower().encode(), hashlib.sha256).hexdigest()

    def reveal_contact(self, ciphertext: str) -> str:
        return self._contact_fernet.decrypt(ciphertext.encode()).decode()

    def protect(self, nam: str | None) -> tuple[str | None, str | None]:
        """(ciphertext, lookup hmac) of a NAM, or (None, None)."""
        if not nam:
            return None, None
        return self._fernet.encrypt(nam.encode()).decode(), nam_hmac(self._hmac_key, nam)

    def identity_key(self, nam_digest: str, birth_date: date) -> str:
        """NAM (as its digest) and birth date as one keyed digest, the history's matching key."""
        return identity_key(self._hmac_key, nam_digest, birth_date)

    def reveal(self, ciphertext: str | None) -> str | None:
        return self._fernet.decrypt(ciphertext.encode()).decode() if ciphertext else None


def mask_nam(nam: str | None) -> str | None:
    return f"•••• •••• {nam[-4:]}" if nam else None


@dataclass(frozen=True)
class NoticeHolder:
    """Where a holder is told about their account: accounts owns the contact details."""

    id: uuid.UUID
    email: str | None
    phone: str | None
    language: str


def notice_for(
    holder: NoticeHolder,
    topic: HolderNoticeTopic,
    cause_id: uuid.UUID,
    *,
    linked_accounts: int | None = None,
    patient_first_name: str | None = None,
    reason: str | None = None,
) -> HolderNoticeRequested | None:
    """One notice per cause and holder (its id derives from both), or None when there is no address; email
    first, as the account's other notices."""
    channel, destination = ("email", holder.email) if holder.email else ("sms", holder.phone)
    if not destination:
        return None
    return HolderNoticeRequested(
        notice_id=uuid.uuid5(cause_id, f"{topic}:{holder.id}"),
        account_id=holder.id,
        topic=topic,
        channel=channel,
        destination=destination,
        language=holder.language,
        linked_accounts=linked_accounts,
        patient_first_name=patient_first_name,
        reason=reason,
    )
