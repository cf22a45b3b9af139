"""Events published by the verification service."""

import uuid
from datetime import datetime
from typing import ClassVar

from shared.contracts.accounts import Channel, CodePurpose, Language
from shared.messages import Contract


class CodeIssued(Contract):
    """For notifications only: the one place besides the sent message where the plain code exists."""

    producer: ClassVar[str] = "verification"
    event_type: ClassVar[str] = "CodeIssued"
    version: ClassVar[int] = 1

    challenge_id: uuid.UUID
    account_id: uuid.UUID
    purpose: CodePurpose
    channel: Channel
    destination: str
    language: Language
    code: str
    expires_at: datetime


class ChallengePassed(Contract):
    producer: ClassVar[str] = "verification"
    event_type: ClassVar[str] = "ChallengePassed"
    version: ClassVar[int] = 1

    challenge_id: uuid.UUID
    account_id: uuid.UUID
    purpose: CodePurpose
    channel: Channel
    destination: str


class CodeLocked(Contract):
    """No code passes this challenge any more (its chain's wrong tries are spent, or the bound on wrong codes across
    challenges is reached): accounts refuses to send a new one before `new_code_from`, and says when."""

    producer: ClassVar[str] = "verification"
    event_type: ClassVar[str] = "CodeLocked"
    version: ClassVar[int] = 1

    challenge_id: uuid.UUID
    account_id: uuid.UUID
    purpose: CodePurpose
    new_code_from: datetime


class IdentityValidated(Contract):
    """A clinic checked the account holder's identity in person (profile icon turns green)."""

    producer: ClassVar[str] = "verification"
    event_type: ClassVar[str] = "IdentityValidated"
    version: ClassVar[int] = 1

    validation_id: uuid.UUID
    account_id: uuid.UUID
    establishment_id: uuid.UUID
    fingerprint: str  # keyed HMAC of the validated identity fields, never the fields themselves
    # The NAM the clerk read on the card, as a keyed digest: accounts links the accounts carrying the NAM
    # the holder entered only when the two agree, never on this value alone (else NamDiscrepancyFound).
    nam_hmac: str | None
    validated_at: datetime
    # No longer set (always None): the history's matching key comes from accounts (DependantIdentified for
    # the holder), built from the NAM and birth date the account holds, not from what a clerk typed.
    identity_key: str | None = None


class IdentityInvalidated(Contract):
    producer: ClassVar[str] = "verification"
    event_type: ClassVar[str] = "IdentityInvalidated"
    version: ClassVar[int] = 1

    account_id: uuid.UUID
    reason: str  # profile_changed | account_deleted | nam_discrepancy


class AssociationValidated(Contract):
    """A clinic confirmed that this patient belongs with the account holder (card icon turns green)."""

    producer: ClassVar[str] = "verification"
    event_type: ClassVar[str] = "AssociationValidated"
    version: ClassVar[int] = 1

    validation_id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    establishment_id: uuid.UUID
    validated_at: datetime


class AssociationRevoked(Contract):
    producer: ClassVar[str] = "verification"
    event_type: ClassVar[str] = "AssociationRevoked"
    version: ClassVar[int] = 1

    account_id: uuid.UUID
    person_id: uuid.UUID
    reason: str  # dependant_removed | identity_changed | holder_identity_invalidated | account_deleted


class AssociationRequestDecided(Contract):
    """A clinic accepted or refused a citizen's request to associate a patient with their account."""

    producer: ClassVar[str] = "verification"
    event_type: ClassVar[str] = "AssociationRequestDecided"
    version: ClassVar[int] = 1

    request_id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    establishment_id: uuid.UUID
    accepted: bool
    reason: str | None  # why it was refused, for the citizen
