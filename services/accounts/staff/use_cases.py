"""Staff administration: a manager invites, promotes, demotes, disables and enables the staff of their own
establishment; an operator appoints an establishment's first manager and resets a lost second factor; the
invited person accepts the link. Every change publishes its event (StaffInvited, StaffAccessChanged) in the
same transaction, for notifications and for verification's audit log.

The manager's token is checked against the database too: it lives a few minutes, and a manager demoted or
disabled meanwhile must not administer anybody with it.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.accounts.registration.rules import check_password
from services.accounts.sessions.use_cases import Deps, end_every_session
from services.accounts.settings import AccountsSettings
from services.accounts.staff import queries, rules
from services.accounts.staff.queries import Member, NewInvitation, NewStaffUser, StaffPerson
from services.accounts.staff.rules import MemberNotFound
from services.accounts.staff.schemas import (
    AcceptedInvitationResponse,
    AcceptInvitationRequest,
    AppointManagerRequest,
    EstablishmentStaffResponse,
    HeldRoleResponse,
    InvitationLookupResponse,
    InvitationResponse,
    InviteStaffRequest,
    MemberResponse,
    PendingInvitationResponse,
    StaffPersonResponse,
)
from shared.contracts.accounts import Language, StaffAccessChanged, StaffAction, StaffInvited, StaffRole
from shared.staff import MANAGER, OPERATOR, EstablishmentNotFound, Staff
from shared.unit_of_work import UnitOfWork


def _managing(caller: Staff, establishment_id: uuid.UUID) -> None:
    """Another establishment's staff, an operator, a person who has not chosen: as if it did not exist."""
    try:
        caller.authorise(establishment_id, manager_only=True)
    except EstablishmentNotFound:
        raise MemberNotFound from None


async def _still_manager(uow: UnitOfWork, caller: Staff, establishment_id: uuid.UUID) -> None:
    rules.check_still_manager(await queries.active_role(uow.session, caller.id, establishment_id))


def _member(found: Member) -> MemberResponse:
    return MemberResponse(
        staff_id=found.staff_id,
        name=found.name,
        email=found.email,
        role=found.role,
        disabled=found.disabled,
        factor_enrolled=found.factor_enrolled,
        granted_at=found.granted_at,
    )


def _access_changed(
    action: StaffAction,
    actor: Staff,
    staff_id: uuid.UUID,
    establishment_id: uuid.UUID | None,
    role: StaffRole | None,
) -> StaffAccessChanged:
    return StaffAccessChanged(
        action=action,
        actor_id=actor.id,
        actor_role=rules.actor_role(actor),
        staff_id=staff_id,
        establishment_id=establishment_id,
        role=role,
        at=datetime.now(UTC),
    )


async def establishment_staff(
    uow: UnitOfWork, caller: Staff, establishment_id: uuid.UUID
) -> EstablishmentStaffResponse:
    _managing(caller, establishment_id)
    async with uow:
        await _still_manager(uow, caller, establishment_id)
        members = await queries.members(uow.session, establishment_id)
        invitations = await queries.pending_invitations(uow.session, establishment_id)
    return EstablishmentStaffResponse(
        members=[_member(m) for m in members],
        invitations=[
            PendingInvitationResponse(
                id=i.id,
                email=i.email,
                role=i.role,
                created_at=i.created_at,
                expires_at=i.expires_at,
            )
            for i in invitations
        ],
    )


@dataclass(frozen=True)
class Invited:
    answer: InvitationResponse
    # The link's secret, for the command line to print (the API's answer never carries it: it is e-mailed).
    token: str = field(repr=False)


async def _invite(
    uow: UnitOfWork,
    settings: AccountsSettings,
    inviter: Staff,
    establishment_id: uuid.UUID,
    email: str,
    role: StaffRole,
    language: Language,
    establishment_name: str | None,
) -> Invited:
    """In the caller's transaction, which commits it."""
    if await queries.holds_active_role(uow.session, email, establishment_id):
        raise rules.AlreadyStaffHere
    # One link at a time per person and establishment: the older one stops working.
    await queries.revoke_pending(uow.session, email, establishment_id)
    token, token_hash = rules.new_invitation_token()
    invitation = NewInvitation(
        id=uuid.uuid4(),
        token_hash=token_hash,
        email=email,
        establishment_id=establishment_id,
        role=role,
        language=language,
        invited_by=inviter.id,
        expires_at=rules.invitation_expiry(datetime.now(UTC), settings.staff_invitation_hours),
    )
    await queries.add_invitation(uow.session, invitation)
    uow.publish(
        StaffInvited(
            invitation_id=invitation.id,
            email=email,
            establishment_id=establishment_id,
            role=role,
            language=language,
            invited_by=inviter.id,
            invited_by_role=OPERATOR if inviter.role == OPERATOR else MANAGER,
            invitation_token=token,
            expires_at=invitation.expires_at,
            establishment_name=establishment_name,
        )
    )
    return Invited(
        InvitationResponse(id=invitation.id, email=email, role=role, expires_at=invitation.expires_at), token
    )


async def invite_staff(
    uow: UnitOfWork,
    settings: AccountsSettings,
    caller: Staff,
    establishment_id: uuid.UUID,
    request: InviteStaffRequest,
) -> InvitationResponse:
    _managing(caller, establishment_id)
    async with uow:
        await _still_manager(uow, caller, establishment_id)
        invited = await _invite(
            uow,
            settings,
            caller,
            establishment_id,
            request.email,
            request.role,
            request.language,
            request.establishment_name,
        )
        await uow.commit()
    return invited.answer


async def appoint_manager(
    uow: UnitOfWork, settings: AccountsSettings, caller: Staff, request: AppointManagerRequest
) -> Invited:
    """An operator invites an establishment's manager (its first one, usually): the same link as a manager's."""
    caller.authorise_operator()
    async with uow:
        invited = await _invite(
            uow,
            settings,
            caller,
            request.establishment_id,
            request.email,
            "manager",
            request.language,
            request.establishment_name,
        )
        await uow.commit()
    return invited


async def _target(uow: UnitOfWork, establishment_id: uuid.UUID, staff_id: uuid.UUID) -> Member:
    found = await queries.member(uow.session, establishment_id, staff_id)
    if found is None:
        raise MemberNotFound
    return found


async def change_role(
    uow: UnitOfWork, caller: Staff, establishment_id: uuid.UUID, staff_id: uuid.UUID, role: StaffRole
) -> MemberResponse:
    _managing(caller, establishment_id)
    async with uow:
        # Locked first, so that the check below and the change are one step for concurrent managers.
        managers = await queries.lock_active_managers(uow.session, establishment_id)
        await _still_manager(uow, caller, establishment_id)
        before = await _target(uow, establishment_id, staff_id)
        if before.role == role:
            return _member(before)
        if role != MANAGER:
            rules.check_managers_remain(managers, staff_id)
        await queries.set_role(uow.session, establishment_id, staff_id, role)
        if before.role == MANAGER and not before.disabled:
            # A manager's tokens say manager for a few minutes more: a demotion, like a disabling, holds at once.
            await end_every_session(uow, staff_id)
        uow.publish(_access_changed("role_changed", caller, staff_id, establishment_id, role))
        after = await _target(uow, establishment_id, staff_id)
        await uow.commit()
    return _member(after)


async def disable_member(
    uow: UnitOfWork, caller: Staff, establishment_id: uuid.UUID, staff_id: uuid.UUID
) -> MemberResponse:
    """The role stops opening anything, and every session of the person ends now (their other establishments'
    too: a session is the person's; they sign in again there)."""
    _managing(caller, establishment_id)
    async with uow:
        managers = await queries.lock_active_managers(uow.session, establishment_id)
        await _still_manager(uow, caller, establishment_id)
        before = await _target(uow, establishment_id, staff_id)
        rules.check_not_self(caller, staff_id)
        rules.check_managers_remain(managers, staff_id)
        if await queries.set_disabled(uow.session, establishment_id, staff_id, disabled=True):
            await end_every_session(uow, staff_id)
            uow.publish(_access_changed("disabled", caller, staff_id, establishment_id, before.role))
        after = await _target(uow, establishment_id, staff_id)
        await uow.commit()
    return _member(after)


async def enable_member(
    uow: UnitOfWork, caller: Staff, establishment_id: uuid.UUID, staff_id: uuid.UUID
) -> MemberResponse:
    _managing(caller, establishment_id)
    async with uow:
        await _still_manager(uow, caller, establishment_id)
        before = await _target(uow, establishment_id, staff_id)
        if await queries.set_disabled(uow.session, establishment_id, staff_id, disabled=False):
            uow.publish(_access_changed("enabled", caller, staff_id, establishment_id, before.role))
        after = await _target(uow, establishment_id, staff_id)
        await uow.commit()
    return _member(after)


async def look_up_invitation(uow: UnitOfWork, token: str) -> InvitationLookupResponse:
    """What the invitation page shows before the person accepts: whether they set a name and password."""
    async with uow:
        found = rules.usable(
            await queries.invitation_by_token(uow.session, rules.hash_invitation_token(token)), datetime.now(UTC)
        )
        existing = await queries.staff_id_by_email(uow.session, found.email)
    return InvitationLookupResponse(
        email=found.email,
        establishment_id=found.establishment_id,
        role=found.role,
        existing_account=existing is not None,
        expires_at=found.expires_at,
    )


async def accept_invitation(
    uow: UnitOfWork, deps: Deps, request: AcceptInvitationRequest
) -> AcceptedInvitationResponse:
    """A new person becomes staff (their second factor is enrolled at their first sign-in); an existing staff
    member gains the role, or has it back. The link works once."""
    async with uow:
        invitation = rules.usable(
            await queries.invitation_by_token(uow.session, rules.hash_invitation_token(request.token), lock=True),
            datetime.now(UTC),
        )
        # Here rather than at the invitation: a manager must not learn who has a citizen account.
        if await queries.is_citizen_email(uow.session, invitation.email):
            raise rules.EmailIsCitizen
        existing = await queries.staff_by_email(uow.session, invitation.email)
        if existing is not None and existing.operator:
            raise rules.OperatorCannotJoin
        staff_id = existing.id if existing is not None else None
        if staff_id is None:
            name, password = rules.check_new_person(request.name, request.password)
            check_password(password, [*name.split(), invitation.email.split("@")[0]])
            staff_id = await queries.add_staff_user(
                uow.session,
                NewStaffUser(
                    id=uuid.uuid4(),
                    email=invitation.email,
                    name=name,
                    password_hash=await deps.hashing.hash(password),
                    language=invitation.language,
                ),
            )
        await queries.grant_role(uow.session, staff_id, invitation.establishment_id, invitation.role)
        await queries.mark_accepted(uow.session, invitation.id)
        uow.publish(
            _access_changed(
                "invitation_accepted",
                Staff(staff_id, invitation.establishment_id, invitation.role),
                staff_id,
                invitation.establishment_id,
                invitation.role,
            )
        )
        await uow.commit()
    return AcceptedInvitationResponse(staff_id=staff_id, email=invitation.email)


def _person(found: StaffPerson) -> StaffPersonResponse:
    return StaffPersonResponse(
        staff_id=found.staff_id,
        name=found.name,
        email=found.email,
        operator=found.operator,
        factor_enrolled=found.factor_enrolled,
        roles=[
            HeldRoleResponse(
                establishment_id=r.establishment_id,
                role=r.role,
                disabled=r.disabled,
            )
            for r in found.roles
        ],
    )


async def all_staff(uow: UnitOfWork, caller: Staff) -> list[StaffPersonResponse]:
    caller.authorise_operator()
    async with uow:
        people = await queries.staff_people(uow.session)
    return [_person(p) for p in people]


async def reset_factor(uow: UnitOfWork, caller: Staff, staff_id: uuid.UUID) -> StaffPersonResponse:
    """A lost authenticator: the person enrols a new one at their next sign-in, after their password. Their
    sessions end, as whoever holds the old factor may be signed in."""
    caller.authorise_operator()
    async with uow:
        if not await queries.clear_factor(uow.session, staff_id):
            raise MemberNotFound
        await end_every_session(uow, staff_id)
        (person,) = await queries.staff_people(uow.session, staff_id)
        # One entry per establishment, so each one's managers see it in their audit log; none: the whole account.
        held: list[tuple[uuid.UUID | None, StaffRole | None]] = [
            (r.establishment_id, r.role) for r in person.roles if not r.disabled
        ]
        for establishment_id, role in held or [(None, None)]:
            uow.publish(_access_changed("factor_reset", caller, staff_id, establishment_id, role))
        await uow.commit()
    return _person(person)


async def operator_by_email(uow: UnitOfWork, email: str) -> Staff | None:
    """The operator the command line acts as: its actions are theirs in the audit log."""
    async with uow:
        found = await queries.operator_id_by_email(uow.session, email)
    return Staff(found, None, OPERATOR) if found is not None else None


async def staff_id_by_email(uow: UnitOfWork, email: str) -> uuid.UUID | None:
    async with uow:
        return await queries.staff_id_by_email(uow.session, email)
