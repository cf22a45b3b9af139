"""Staff administration with no I/O: invitation links (single use, expiring, only their hash kept), who may be
demoted or disabled, and the refusals of the managers' and operators' staff pages."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from shared.refusals import Refused
from shared.staff import CLERK, MANAGER, OPERATOR, ManagerRequired, Staff, StaffRoleRequired

StaffRole = Literal["clerk", "manager"]
ActorRole = Literal["clerk", "manager", "operator"]


class MemberNotFound(Refused):
    """No role at the establishment for that person, or an establishment the caller does not manage: one answer,
    so nobody learns who works where."""


class AlreadyStaffHere(Refused):
    """The e-mail already holds an active role at the establishment: change the role instead."""


class LastManager(Refused):
    """Demoting or disabling the only active manager would leave nobody to administer the establishment."""


class CannotDisableSelf(Refused):
    pass


class InvitationInvalid(Refused):
    """Unknown, already used, expired or replaced by a newer one: the same answer for all."""


class EmailIsCitizen(Refused):
    """A citizen account has this e-mail: one address, one kind of account (registration refuses the converse)."""


class OperatorCannotJoin(Refused):
    """Platform operators hold no clinic role (they read no patient data): a clinic needs another address."""


class NameRequired(Refused):
    """A new staff member names themselves when they accept."""


class PasswordRequired(Refused):
    pass


def new_invitation_token() -> tuple[str, str]:
    """The link's secret, and the hash that is all accounts keeps of it."""
    token = secrets.token_urlsafe(32)
    return token, hash_invitation_token(token)


def hash_invitation_token(token: str) -> str:
    # 256 random bits: a plain digest is enough, nothing to stretch.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class InvitationState:
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None


Invitation = TypeVar("Invitation", bound=InvitationState)


def usable(invitation: Invitation | None, now: datetime) -> Invitation:
    """The invitation, unless it is unknown, used, replaced or expired."""
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= now
    ):
        raise InvitationInvalid
    return invitation


def invitation_expiry(now: datetime, hours: int) -> datetime:
    return now + timedelta(hours=hours)


def check_managers_remain(active_managers: list[uuid.UUID], target: uuid.UUID) -> None:
    """Before `target` stops being an active manager: someone else must still be one."""
    if target in active_managers and not any(manager != target for manager in active_managers):
        raise LastManager


def check_not_self(actor: Staff, target: uuid.UUID) -> None:
    if actor.id == target:
        raise CannotDisableSelf


def check_still_manager(role_now: str | None) -> None:
    """The token says manager; the role may have changed since it was issued (it lives a few minutes)."""
    if role_now != MANAGER:
        raise ManagerRequired


def check_new_person(name: str | None, password: str | None) -> tuple[str, str]:
    if not name:
        raise NameRequired
    if not password:
        raise PasswordRequired
    return name, password


def actor_role(staff: Staff) -> ActorRole:
    """As the audit log names who acted."""
    if staff.role == OPERATOR:
        return "operator"
    if staff.role == MANAGER:
        return "manager"
    if staff.role == CLERK:
        return "clerk"
    raise StaffRoleRequired
