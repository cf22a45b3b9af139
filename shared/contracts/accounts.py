"""Events published by the accounts service."""

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel

from shared.messages import Contract

Language = Literal["fr", "en"]
Channel = Literal["email", "sms"]
CodePurpose = Literal[
    "activate_account", "reset_password", "change_email", "change_phone", "change_password", "change_nam"
]


class AccountRegistered(Contract):
    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "AccountRegistered"
    version: ClassVar[int] = 1

    account_id: uuid.UUID
    language: Language


class CodeRequested(Contract):
    """Accounts asks verification to prove that the citizen controls `destination`."""

    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "CodeRequested"
    version: ClassVar[int] = 1

    request_id: uuid.UUID  # the challenge id: a redelivered request never issues two challenges
    account_id: uuid.UUID
    purpose: CodePurpose
    channel: Channel
    destination: str  # email address or E.164 phone number
    language: Language
    resend_of: uuid.UUID | None = None  # a resend shares the try budget of the challenge it replaces
    # Asked where no account can be proven (a reset for an address without an account, a registration with an
    # address already taken): verification records the challenge like any other, so its id answers, counts
    # wrong codes and is limited the same, but makes no code anyone could enter and has nothing sent.
    decoy: bool = False


class RegistrationAttemptedOnExistingAccount(Contract):
    """Someone tried to register with a contact that already has an account, or with a clinic staff member's
    address: the owner is told (the answer to the registration says nothing of it)."""

    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "RegistrationAttemptedOnExistingAccount"
    version: ClassVar[int] = 1

    channel: Channel
    destination: str
    language: Language
    staff_account: bool = False  # the address is a staff member's: a citizen account needs another one


class ProfileChanged(Contract):
    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "ProfileChanged"
    version: ClassVar[int] = 1

    account_id: uuid.UUID
    person_id: uuid.UUID  # the holder's account id or a dependant's id
    changed_fields: list[str]
    identity_changed: bool  # names, birth date, sex or NAM: a clinic must validate again


class ContactChanged(Contract):
    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "ContactChanged"
    version: ClassVar[int] = 1

    account_id: uuid.UUID
    channel: Channel
    old_destination: str | None  # told about the change when it was an email address
    new_destination: str
    language: Language


class DependantAdded(Contract):
    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "DependantAdded"
    version: ClassVar[int] = 1

    account_id: uuid.UUID
    dependant_id: uuid.UUID


class DependantRemoved(Contract):
    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "DependantRemoved"
    version: ClassVar[int] = 1

    account_id: uuid.UUID
    dependant_id: uuid.UUID


class AccountsLinked(Contract):
    """These accounts' holders carry the same NAM, confirmed by a clinic: the citizen sees them as one.

    The whole membership of the group, so a consumer replaces what it holds. Never the NAM.
    """

    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "AccountsLinked"
    version: ClassVar[int] = 1

    link_group_id: uuid.UUID
    account_ids: list[uuid.UUID]


class AccountDeleted(Contract):
    """Every service removes or unlinks what it holds about these people."""

    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "AccountDeleted"
    version: ClassVar[int] = 1

    account_id: uuid.UUID
    dependant_ids: list[uuid.UUID]
    # Where the confirmation goes, and what notifications must erase from its delivery log.
    email: str | None
    phone: str | None
    language: Language


class LinkedDependant(BaseModel):
    account_id: uuid.UUID
    person_id: uuid.UUID


class DependantsLinked(Contract):
    """The same child (same NAM) is a dependant in several accounts, and a clinic validated each
    association: every parent sees all of the child's appointments. The whole membership, so a
    consumer replaces what it holds; fewer than two members means the group is gone. Never the NAM."""

    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "DependantsLinked"
    version: ClassVar[int] = 1

    group_id: uuid.UUID
    members: list[LinkedDependant]


class DependantIdentified(Contract):
    """A clinic validated this dependant's association with the account, or (person_id == account_id) the
    holder's identity with the NAM the holder entered: the key a booking made without an account is matched
    on for the account's history (NAM and birth date as the account holds them, as one keyed digest,
    shared.nam.identity_key). Never the fields themselves."""

    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "DependantIdentified"
    version: ClassVar[int] = 1

    account_id: uuid.UUID
    person_id: uuid.UUID
    identity_key: str


class NamDiscrepancyFound(Contract):
    """A clinic confirmed a NAM (IdentityValidated.nam_hmac) that is not the one the citizen entered in
    the account: accounts linked nothing on it and asked the citizen to check their NAM; verification ends
    that validation, so the clinic validates again once the account is right. Ids only."""

    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "NamDiscrepancyFound"
    version: ClassVar[int] = 1

    account_id: uuid.UUID
    validation_id: uuid.UUID


HolderNoticeTopic = Literal[
    "accounts_linked",  # a clinic confirmed a NAM that other accounts also carry: they now show as one
    "nam_discrepancy",  # the NAM a clinic read on the card is not the account's: the holder checks theirs
    "account_unlinked",  # the holder's NAM changed: the account left its linked group
    "association_request_accepted",
    "association_request_refused",
]


class HolderNoticeRequested(Contract):
    """Accounts asks notifications to tell the holder something about their account. Accounts owns the
    contact details, so it names the destination; nothing here is an identity field besides the
    patient's first name, which the holder typed in their own account."""

    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "HolderNoticeRequested"
    version: ClassVar[int] = 1

    notice_id: uuid.UUID  # one notice per cause: a redelivered cause never sends twice
    account_id: uuid.UUID
    topic: HolderNoticeTopic
    channel: Channel
    destination: str
    language: Language
    patient_first_name: str | None = None
    reason: str | None = None  # a clinic's refusal reason, as the clerk wrote it
    linked_accounts: int | None = None


class SessionsRevoked(Contract):
    """Access tokens of these sessions stop working now, not when they expire: the gateway keeps this in memory
    (gateway/session_revocations.py). A logout or a refresh token presented twice ends one session; a password
    change or a deletion ends every session of the subject (`every_session`), and then also refuses the
    subject's tokens issued in a second before `revoked_at`'s (tokens carry whole-second `iat`s)."""

    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "SessionsRevoked"
    version: ClassVar[int] = 1

    subject_id: uuid.UUID  # a citizen account or a staff user
    session_ids: list[uuid.UUID]  # the session families: the `sid` claim of their access tokens
    every_session: bool
    revoked_at: datetime  # accounts' clock, as the tokens' `iat`


StaffRole = Literal["clerk", "manager"]


class StaffInvited(Contract):
    """A manager (or an operator, for an establishment's first manager) invited someone to the console: for
    notifications, which e-mails the single-use link, and for verification's audit log. `invitation_token`
    is the link's secret, as CodeIssued's code is: the sent message and this event are the only places where
    it exists in clear (accounts keeps its hash)."""

    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "StaffInvited"
    version: ClassVar[int] = 1

    invitation_id: uuid.UUID
    email: str
    establishment_id: uuid.UUID
    role: StaffRole
    language: Language
    invited_by: uuid.UUID  # the manager or the operator
    invited_by_role: Literal["manager", "operator"]
    invitation_token: str
    expires_at: datetime
    # As the inviter's console shows it, for the e-mail ("… to join {name}"); None: the e-mail says "an
    # establishment".
    establishment_name: str | None = None


StaffAction = Literal[
    "invitation_accepted",  # actor: the new staff member
    "role_changed",
    "disabled",
    "enabled",
    "factor_enrolled",  # actor: the staff member
    "factor_reset",  # actor: an operator
    "operator_created",  # actor: an operator, or the command line's operator
]


class StaffAccessChanged(Contract):
    """Who may use the console changed: verification's audit log keeps it (ids and roles only)."""

    producer: ClassVar[str] = "accounts"
    event_type: ClassVar[str] = "StaffAccessChanged"
    version: ClassVar[int] = 1

    action: StaffAction
    actor_id: uuid.UUID
    actor_role: Literal["clerk", "manager", "operator"]
    staff_id: uuid.UUID  # whose access changed
    establishment_id: uuid.UUID | None  # None: the whole account (a factor reset, an operator)
    role: StaffRole | None = None  # the role held after the change, when there is one
    at: datetime
