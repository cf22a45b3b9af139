"""Use cases of clinic validations: a clinic confirms who the account holder is (identity), then that
a patient belongs with that account (association); account events take those confirmations back.

The API use cases own their unit of work. Those the events call (`invalidate_changed_identity`,
`revoke_removed_dependant`, `forget_validations`, ...) run inside the consumer's unit of work, which records
the inbox entry and commits. Every change writes an audit row in the same transaction.

Invalidation policy (the seed: identity holds "until the personal information changes", association
"until the patient's situation changes"):
- the holder's identity fields change -> the identity validation ends (`profile_changed`) AND every
  association of that account is revoked (`holder_identity_invalidated`): an association vouches
  that a patient belongs with a person the clinic identified; once that person's identity is in doubt,
  so is the link, and the clinic confirms both again in the front-desk order (identity, association);
- a dependant's identity fields change -> that association alone is revoked (`identity_changed`);
- a dependant is removed -> that association is revoked (`dependant_removed`);
- the account is deleted -> everything of it ends (`account_deleted`) and the keyed digests are erased,
  leaving only ids and dates (the audit log keeps its rows: they hold no personal data);
- accounts finds that the NAM the clerk read on the card is not the one the citizen entered
  (`nam_discrepancy`) -> that validation ends, and so do the holder's associations, as for a profile
  change: the citizen is asked to correct their NAM and the clinic validates again.

A clinic validates only people it has an appointment with (clinic_patients, below), and reads only their
states. The NAM the clerk confirms is a reading to compare, never a key to link on: accounts links on the
NAM the citizen entered, and only when the two agree.
"""

import uuid
from datetime import UTC, datetime

import structlog

from services.verification.settings import VerificationSettings
from services.verification.validations import queries
from services.verification.validations.queries import AuditRow
from services.verification.validations.rules import (
    ACCOUNT_DELETED,
    CALLER_BOOKED,
    CALLER_CANCELLED,
    CALLER_RESCHEDULED,
    DEPENDANT_REMOVED,
    ESTABLISHMENT_ACTIONS,
    HOLDER_IDENTITY_INVALIDATED,
    IDENTITY_CHANGED,
    NAM_DISCREPANCY,
    PROFILE_CHANGED,
    STAFF_INVITED,
    SUPERSEDED,
    SYSTEM_ACTOR,
    ConfirmedIdentity,
    IdentityKeys,
    IdentityNotValidated,
    NotAPatientHere,
    NotConfirmed,
    NotPatientsHere,
    PatientNotHere,
    SamePerson,
    identity_fingerprint,
    identity_nam_hmac,
)
from services.verification.validations.schemas import (
    AssociationValidationResponse,
    AuditEntry,
    IdentityValidationResponse,
    ValidateAssociationRequest,
    ValidateIdentityRequest,
    VerificationState,
)
from shared.contracts.accounts import (
    AccountDeleted,
    DependantRemoved,
    NamDiscrepancyFound,
    ProfileChanged,
    StaffAccessChanged,
    StaffInvited,
)
from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    EstablishmentChanged,
    PatientRecordsViewed,
)
from shared.contracts.verification import (
    AssociationRevoked,
    AssociationValidated,
    IdentityInvalidated,
    IdentityValidated,
)
from shared.nam import nam_warnings
from shared.staff import EstablishmentNotFound, Staff
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


def identity_keys(settings: VerificationSettings) -> IdentityKeys:
    return IdentityKeys.derive(settings.secret_key.get_secret_value(), settings.nam_key.get_secret_value())


async def lock_account(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    """Serialises everything touching one account's validations, until the transaction ends."""
    await queries.lock_account(uow, account_id)


def own_establishment(staff: Staff) -> uuid.UUID:
    """The establishment the staff member acts for (the routes authorised it); none chosen, or an operator:
    nothing of theirs here."""
    if staff.establishment_id is None:
        raise EstablishmentNotFound
    return staff.establishment_id


async def validate_identity(
    uow: UnitOfWork, staff: Staff, request: ValidateIdentityRequest, keys: IdentityKeys
) -> IdentityValidationResponse:
    """Steps C-D of the seed's 3.1: the clerk ticked the box and confirmed; the profile icon turns green."""
    if not request.confirmed:
        raise NotConfirmed
    identity = ConfirmedIdentity(request.first_name, request.last_name, request.birth_date, request.sex, request.nam)
    fingerprint = identity_fingerprint(keys.fingerprint, identity)
    nam_digest = identity_nam_hmac(keys.nam, request.nam)
    warnings = (
        nam_warnings(request.nam, request.last_name, request.first_name, request.birth_date, request.sex)
        if request.nam
        else []
    )
    validation_id = uuid.uuid4()
    async with uow:
        await lock_account(uow, request.account_id)
        await require_patient(uow, own_establishment(staff), request.account_id)
        now = datetime.now(UTC)
        # A new confirmation replaces the current one (possibly with the clerk's corrections).
        superseded = await queries.end_current_identity(uow, request.account_id, SUPERSEDED, now)
        await queries.insert_identity(
            uow,
            queries.NewIdentity(
                id=validation_id,
                account_id=request.account_id,
                establishment_id=own_establishment(staff),
                staff_id=staff.id,
                fingerprint=fingerprint,
                nam_hmac=nam_digest,
                now=now,
            ),
        )
        await record_audit(
            uow,
            at=now,
            actor=str(staff.id),
            actor_role=staff.role,
            establishment_id=staff.establishment_id,
            action="identity_validated",
            account_id=request.account_id,
            details={
                "validation_id": str(validation_id),
                "with_nam": "yes" if nam_digest else "no",
                **({"superseded": ",".join(str(row.id) for row in superseded)} if superseded else {}),
            },
        )
        uow.publish(
            IdentityValidated(
                validation_id=validation_id,
                account_id=request.account_id,
                establishment_id=staff.establishment_id,
                fingerprint=fingerprint,
                nam_hmac=nam_digest,
                validated_at=now,
            )
        )
        await uow.commit()
    log.info("identity_validated", validation_id=str(validation_id), establishment_id=str(staff.establishment_id))
    return IdentityValidationResponse(
        validation_id=validation_id, account_id=request.account_id, validated_at=now, nam_warnings=warnings
    )


async def validate_association(
    uow: UnitOfWork, staff: Staff, request: ValidateAssociationRequest
) -> AssociationValidationResponse:
    """Steps C-D of the seed's 3.2, only once the holder's identity is validated (3.3's order)."""
    if not request.confirmed:
        raise NotConfirmed
    if request.person_id == request.account_id:
        raise SamePerson
    async with uow:
        await lock_account(uow, request.account_id)
        validation_id, now = await record_association(uow, staff, request.account_id, request.person_id)
        await uow.commit()
    log.info("association_validated", validation_id=str(validation_id), establishment_id=str(staff.establishment_id))
    return AssociationValidationResponse(
        validation_id=validation_id, account_id=request.account_id, person_id=request.person_id, validated_at=now
    )


async def record_association(
    uow: UnitOfWork, staff: Staff, account_id: uuid.UUID, person_id: uuid.UUID
) -> tuple[uuid.UUID, datetime]:
    """The association itself, in the caller's transaction with the account locked: the clerk's window,
    or a citizen's request the clinic accepts. Refused unless the patient has an appointment here booked
    from the account, and before the holder's identity is validated."""
    establishment_id = own_establishment(staff)
    await require_patient(uow, establishment_id, account_id, person_id)
    if not await queries.identity_validated(uow, account_id):
        raise IdentityNotValidated
    validation_id = uuid.uuid4()
    now = datetime.now(UTC)
    await queries.end_current_associations(uow, account_id, [person_id], SUPERSEDED, now)
    await queries.insert_association(
        uow,
        queries.NewAssociation(
            id=validation_id,
            account_id=account_id,
            person_id=person_id,
            establishment_id=establishment_id,
            staff_id=staff.id,
            now=now,
        ),
    )
    await record_audit(
        uow,
        at=now,
        actor=str(staff.id),
        actor_role=staff.role,
        establishment_id=staff.establishment_id,
        action="association_validated",
        account_id=account_id,
        person_id=person_id,
        details={"validation_id": str(validation_id)},
    )
    uow.publish(
        AssociationValidated(
            validation_id=validation_id,
            account_id=account_id,
            person_id=person_id,
            establishment_id=staff.establishment_id,
            validated_at=now,
        )
    )
    return validation_id, now


async def association_validated(uow: UnitOfWork, account_id: uuid.UUID, person_id: uuid.UUID) -> bool:
    return await queries.association_validated(uow, account_id, person_id)


async def verification_states(
    uow: UnitOfWork, establishment_id: uuid.UUID, account_ids: list[uuid.UUID]
) -> list[VerificationState]:
    """Red/green for the console's icons, of people with an appointment at the establishment only (404
    otherwise). Validations themselves hold across clinics: any clinic's validation counts."""
    async with uow:
        await require_patients(uow, establishment_id, account_ids)
        identified = await queries.identities_validated(uow, account_ids)
        associations = await queries.associations_validated(uow, account_ids)
    persons: dict[uuid.UUID, list[uuid.UUID]] = {}
    for row in associations:
        persons.setdefault(row.account_id, []).append(row.person_id)
    return [
        VerificationState(
            account_id=account_id,
            identity_validated=account_id in identified,
            validated_person_ids=persons.get(account_id, []),
        )
        for account_id in dict.fromkeys(account_ids)  # each account once, in the order asked
    ]


async def _invalidate_identity(
    uow: UnitOfWork, account_id: uuid.UUID, reason: str, now: datetime, causation_id: uuid.UUID | None
) -> None:
    ended = await queries.end_current_identity(uow, account_id, reason, now)
    for row in ended:
        await record_audit(
            uow,
            at=now,
            actor=SYSTEM_ACTOR,
            establishment_id=row.establishment_id,
            action="identity_invalidated",
            account_id=account_id,
            details={"validation_id": str(row.id), "reason": reason},
        )
    # Only a green icon turning red is news; nothing to say when nothing was validated.
    if ended:
        uow.publish(IdentityInvalidated(account_id=account_id, reason=reason), causation_id=causation_id)


async def _revoke_associations(
    uow: UnitOfWork,
    account_id: uuid.UUID,
    person_ids: list[uuid.UUID] | None,
    reason: str,
    now: datetime,
    causation_id: uuid.UUID | None,
) -> None:
    ended = await queries.end_current_associations(uow, account_id, person_ids, reason, now)
    for row in ended:
        await record_audit(
            uow,
            at=now,
            actor=SYSTEM_ACTOR,
            establishment_id=row.establishment_id,
            action="association_revoked",
            account_id=account_id,
            person_id=row.person_id,
            details={"validation_id": str(row.id), "reason": reason},
        )
    for person_id in dict.fromkeys(row.person_id for row in ended):
        uow.publish(
            AssociationRevoked(account_id=account_id, person_id=person_id, reason=reason), causation_id=causation_id
        )


async def invalidate_changed_identity(
    uow: UnitOfWork, event: ProfileChanged, causation_id: uuid.UUID | None = None
) -> None:
    """Identity fields changed: the holder's identity (and so their associations), or one dependant's link."""
    if not event.identity_changed:
        return  # e.g. a postal code: nothing a clinic vouched for
    await lock_account(uow, event.account_id)
    now = datetime.now(UTC)
    if event.person_id == event.account_id:
        await _invalidate_identity(uow, event.account_id, PROFILE_CHANGED, now, causation_id)
        await _revoke_associations(uow, event.account_id, None, HOLDER_IDENTITY_INVALIDATED, now, causation_id)
    else:
        await _revoke_associations(uow, event.account_id, [event.person_id], IDENTITY_CHANGED, now, causation_id)


async def invalidate_discrepant_nam(
    uow: UnitOfWork, event: NamDiscrepancyFound, causation_id: uuid.UUID | None = None
) -> None:
    """The NAM a clerk confirmed is not the account's: that validation (if still the current one) ends with
    the holder's associations, and the clinic's audit log records the discrepancy."""
    await lock_account(uow, event.account_id)
    now = datetime.now(UTC)
    ended = await queries.end_identity(uow, event.validation_id, event.account_id, NAM_DISCREPANCY, now)
    if ended is None:
        return  # superseded or already ended: a newer confirmation stands (accounts checks it in turn)
    await record_audit(
        uow,
        at=now,
        actor=SYSTEM_ACTOR,
        establishment_id=ended.establishment_id,
        action="identity_invalidated",
        account_id=event.account_id,
        details={"validation_id": str(ended.id), "reason": NAM_DISCREPANCY},
    )
    uow.publish(IdentityInvalidated(account_id=event.account_id, reason=NAM_DISCREPANCY), causation_id=causation_id)
    await _revoke_associations(uow, event.account_id, None, HOLDER_IDENTITY_INVALIDATED, now, causation_id)


async def revoke_removed_dependant(
    uow: UnitOfWork, event: DependantRemoved, causation_id: uuid.UUID | None = None
) -> None:
    await lock_account(uow, event.account_id)
    now = datetime.now(UTC)
    await _revoke_associations(uow, event.account_id, [event.dependant_id], DEPENDANT_REMOVED, now, causation_id)


async def forget_validations(uow: UnitOfWork, event: AccountDeleted, causation_id: uuid.UUID | None = None) -> None:
    """Ends every validation of the account and its dependants, keeping ids and dates only."""
    await lock_account(uow, event.account_id)
    now = datetime.now(UTC)
    await _invalidate_identity(uow, event.account_id, ACCOUNT_DELETED, now, causation_id)
    await _revoke_associations(uow, event.account_id, None, ACCOUNT_DELETED, now, causation_id)
    await queries.erase_digests(uow, event.account_id)


# The append-only audit log: what staff and the system did, with ids and reasons, never personal data.


async def record_audit(
    uow: UnitOfWork,
    *,
    at: datetime,
    actor: str,
    establishment_id: uuid.UUID | None,
    action: str,
    account_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    details: dict[str, str] | None = None,
    actor_role: str | None = None,
) -> None:
    """Written in the caller's transaction: an action and its audit row commit (or not) together."""
    await queries.record_audit(
        uow, AuditRow(at, actor, establishment_id, action, account_id, person_id, details, actor_role)
    )


async def read_audit_log(uow: UnitOfWork, establishment_id: uuid.UUID, limit: int) -> list[AuditEntry]:
    """Newest first; a manager's view of what was done in (or to validations of) their establishment."""
    async with uow:
        entries = await queries.audit_entries_of(uow, establishment_id, limit)
    return [AuditEntry.model_validate(entry, from_attributes=True) for entry in entries]


async def read_operator_audit_log(uow: UnitOfWork, staff: Staff, limit: int) -> list[AuditEntry]:
    """Newest first; the platform operators' view: what operators did, and what concerns no establishment."""
    staff.authorise_operator()
    async with uow:
        entries = await queries.audit_entries_for_operators(uow, limit)
    return [AuditEntry.model_validate(entry, from_attributes=True) for entry in entries]


# The console's administration (issue 21), as accounts and appointments report it, in the consumer's unit of
# work (the inbox makes a redelivery write no second row). The actor is the staff member the event names;
# details hold ids and roles only, never a name, an e-mail address or a NAM.


async def record_staff_invited(uow: UnitOfWork, event: StaffInvited, at: datetime) -> None:
    await record_audit(
        uow,
        at=at,
        actor=str(event.invited_by),
        actor_role=event.invited_by_role,
        establishment_id=event.establishment_id,
        action=STAFF_INVITED,
        details={"invitation_id": str(event.invitation_id), "role": event.role, "by": event.invited_by_role},
    )


async def record_staff_access_changed(uow: UnitOfWork, event: StaffAccessChanged) -> None:
    details = {"staff_id": str(event.staff_id)}
    if event.role is not None:
        details["role"] = event.role
    await record_audit(
        uow,
        at=event.at,
        actor=str(event.actor_id),
        actor_role=event.actor_role,
        establishment_id=event.establishment_id,
        action=event.action,
        details=details,
    )


async def record_establishment_changed(uow: UnitOfWork, event: EstablishmentChanged) -> None:
    await record_audit(
        uow,
        at=event.at,
        actor=str(event.actor_id),
        actor_role=event.actor_role,
        establishment_id=event.establishment_id,
        action=ESTABLISHMENT_ACTIONS[event.action],
        details={} if event.service_id is None else {"service_id": str(event.service_id)},
    )


async def record_caller_booking(uow: UnitOfWork, event: AppointmentBooked, at: datetime) -> None:
    """A clerk booked for someone on the phone or at the desk (source "admin"); a citizen's booking is not
    staff's doing and writes nothing."""
    if event.source != "admin" or event.booked_by_staff_id is None:
        return
    await record_audit(
        uow,
        at=at,
        actor=str(event.booked_by_staff_id),
        establishment_id=event.place.establishment_id,
        action=CALLER_BOOKED,
        details={"appointment_id": str(event.appointment_id), "service_id": str(event.service.service_id)},
    )


async def record_caller_cancellation(uow: UnitOfWork, event: AppointmentCancelled, at: datetime) -> None:
    if event.staff_id is None:
        return
    await record_audit(
        uow,
        at=at,
        actor=str(event.staff_id),
        establishment_id=event.place.establishment_id,
        action=CALLER_CANCELLED,
        details={"appointment_id": str(event.appointment_id)},
    )


async def record_caller_move(uow: UnitOfWork, event: AppointmentRescheduled, at: datetime) -> None:
    if event.staff_id is None:
        return
    await record_audit(
        uow,
        at=at,
        actor=str(event.staff_id),
        establishment_id=event.place.establishment_id,
        action=CALLER_RESCHEDULED,
        details={
            "appointment_id": str(event.appointment_id),
            "old_slot_id": str(event.old_slot_id),
            "slot_id": str(event.slot_id),
        },
    )


async def record_staff_read(uow: UnitOfWork, event: PatientRecordsViewed) -> None:
    """Appointments reports what staff read; the inbox makes a redelivery write no second row."""
    await record_audit(
        uow,
        at=event.at,
        actor=str(event.staff_id),
        actor_role=event.staff_role,
        establishment_id=event.establishment_id,
        action=f"patient_records_viewed:{event.view}",
        details={
            "appointments": str(len(event.appointment_ids)),
            # A day's list can hold hundreds of ids; the record keeps which ones (ids only).
            "appointment_ids": ",".join(str(i) for i in event.appointment_ids),
        },
    )


# Whom a clinic may validate: the people it has an appointment with, as appointments' events tell it.
#
# Before this, a clerk could validate any account id (and so have it linked to anyone's appointments,
# issue 18 finding 2). Verification keeps its own read model of who has an appointment where, fed by
# AppointmentBooked / Rescheduled / Cancelled and by account events, and never reads appointments' tables.
#
# Only bookings made from an account are kept (ids only): a booking without an account names no account
# a clerk could validate. The event handlers run in the consumer's unit of work.


async def add_patient(uow: UnitOfWork, event: AppointmentBooked) -> None:
    if event.account_id is None:
        return
    await queries.add_appointment(
        uow,
        queries.Appointment(
            appointment_id=event.appointment_id,
            establishment_id=event.place.establishment_id,
            account_id=event.account_id,
            # Older v1 payloads have no person_id: those were booked for the holder.
            person_id=event.person_id or event.account_id,
            starts_at=event.starts_at,
        ),
    )


async def move_patient(uow: UnitOfWork, event: AppointmentRescheduled) -> None:
    await queries.move_appointment(uow, event.appointment_id, event.place.establishment_id, event.starts_at)


async def remove_patient(uow: UnitOfWork, event: AppointmentCancelled) -> None:
    await queries.remove_appointment(uow, event.appointment_id)


async def forget_patients(uow: UnitOfWork, account_id: uuid.UUID, person_ids: list[uuid.UUID] | None = None) -> None:
    """The account is deleted (every person), or a dependant left it: appointments keep the clinic's
    record, but they no longer tie the person to this account."""
    await queries.forget_patients(uow, account_id, person_ids)


async def require_patient(
    uow: UnitOfWork, establishment_id: uuid.UUID, account_id: uuid.UUID, person_id: uuid.UUID | None = None
) -> None:
    """Raises 404 unless an appointment at the establishment was booked from the account
    (for `person_id` when given: the patient whose association is validated; any of its people otherwise:
    a parent is identified at the desk when they bring their child)."""
    if not await queries.is_patient(uow, establishment_id, account_id, person_id):
        raise NotAPatientHere if person_id is None else PatientNotHere


async def require_patients(uow: UnitOfWork, establishment_id: uuid.UUID, account_ids: list[uuid.UUID]) -> None:
    """All or nothing: one account without an appointment here refuses the whole read."""
    if not set(account_ids) <= await queries.patients_among(uow, establishment_id, account_ids):
        raise NotPatientsHere
