"""Use cases of clinic validations: a clinic confirms who the account holder is (identity), then that
a patient belongs with that account (association); account events take those confirmations back.

The API use cases own their unit of work. The event handlers (`on_profile_changed`,
`on_dependant_removed`, `forget_validations`) run inside the consumer's unit of work, which records
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

A clinic validates only people it has an appointment with (clinic_patients.py), and reads only their
states. The NAM the clerk confirms is a reading to compare, never a key to link on: accounts links on the
NAM the citizen entered, and only when the two agree.
"""

import uuid
from datetime import UTC, datetime

import structlog
from sqlalchemy import text

from services.verification import audit_trail, clinic_patients
from services.verification.clinic_rules import (
    ACCOUNT_DELETED,
    DEPENDANT_REMOVED,
    HOLDER_IDENTITY_INVALIDATED,
    IDENTITY_CHANGED,
    IDENTITY_NOT_VALIDATED,
    NAM_DISCREPANCY,
    NOT_CONFIRMED,
    PROFILE_CHANGED,
    SAME_PERSON,
    SUPERSEDED,
    SYSTEM_ACTOR,
    Staff,
)
from services.verification.identity_fingerprint import (
    ConfirmedIdentity,
    IdentityKeys,
    identity_fingerprint,
    identity_nam_hmac,
)
from services.verification.settings import VerificationSettings
from services.verification.validation_schemas import (
    AssociationValidationResponse,
    IdentityValidationResponse,
    ValidateAssociationRequest,
    ValidateIdentityRequest,
    VerificationState,
)
from shared.contracts.accounts import AccountDeleted, DependantRemoved, NamDiscrepancyFound, ProfileChanged
from shared.contracts.verification import (
    AssociationRevoked,
    AssociationValidated,
    IdentityInvalidated,
    IdentityValidated,
)
from shared.nam import nam_warnings
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

# Serialises everything touching one account's validations: a clerk's confirmation and an invalidating
# event cannot interleave (e.g. an association checked against an identity being invalidated).
ACCOUNT_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")

END_CURRENT_IDENTITY = text("""
UPDATE identity_validations SET invalidated_at = :now, invalidation_reason = :reason
WHERE account_id = :account_id AND invalidated_at IS NULL
RETURNING id, establishment_id
""")

INSERT_IDENTITY = text("""
INSERT INTO identity_validations (id, account_id, establishment_id, staff_id, fingerprint, nam_hmac, validated_at)
VALUES (:id, :account_id, :establishment_id, :staff_id, :fingerprint, :nam_hmac, :now)
""")

END_IDENTITY = text("""
UPDATE identity_validations SET invalidated_at = :now, invalidation_reason = :reason
WHERE id = :id AND account_id = :account_id AND invalidated_at IS NULL
RETURNING id, establishment_id
""")

CURRENT_IDENTITY = text("""
SELECT id FROM identity_validations WHERE account_id = :account_id AND invalidated_at IS NULL LIMIT 1
""")

# person_ids NULL: every association of the holder.
END_CURRENT_ASSOCIATIONS = text("""
UPDATE association_validations SET revoked_at = :now, revoke_reason = :reason
WHERE account_id = :account_id AND revoked_at IS NULL
  AND (CAST(:person_ids AS uuid[]) IS NULL OR person_id = ANY(CAST(:person_ids AS uuid[])))
RETURNING id, person_id, establishment_id
""")

CURRENT_ASSOCIATION = text("""
SELECT id FROM association_validations
WHERE account_id = :account_id AND person_id = :person_id AND revoked_at IS NULL LIMIT 1
""")

INSERT_ASSOCIATION = text("""
INSERT INTO association_validations (id, account_id, person_id, establishment_id, staff_id, validated_at)
VALUES (:id, :account_id, :person_id, :establishment_id, :staff_id, :now)
""")

ERASE_DIGESTS = text("""
UPDATE identity_validations SET fingerprint = NULL, nam_hmac = NULL WHERE account_id = :account_id
""")

IDENTITIES_VALIDATED = text("""
SELECT DISTINCT account_id FROM identity_validations
WHERE account_id = ANY(:ids) AND invalidated_at IS NULL
""")

ASSOCIATIONS_VALIDATED = text("""
SELECT DISTINCT account_id, person_id FROM association_validations
WHERE account_id = ANY(:ids) AND revoked_at IS NULL
ORDER BY account_id, person_id
""")


def identity_keys(settings: VerificationSettings) -> IdentityKeys:
    return IdentityKeys.derive(settings.secret_key.get_secret_value(), settings.nam_key.get_secret_value())


async def lock_account(uow: UnitOfWork, account_id: uuid.UUID) -> None:
    await uow.session.execute(ACCOUNT_LOCK, {"key": f"verification:validations:{account_id}"})


async def validate_identity(
    uow: UnitOfWork, staff: Staff, request: ValidateIdentityRequest, keys: IdentityKeys
) -> IdentityValidationResponse:
    """Steps C-D of the seed's 3.1: the clerk ticked the box and confirmed; the profile icon turns green."""
    if not request.confirmed:
        raise NOT_CONFIRMED
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
        await clinic_patients.require_patient(uow, staff.establishment_id, request.account_id)
        now = datetime.now(UTC)
        # A new confirmation replaces the current one (possibly with the clerk's corrections).
        superseded = (
            await uow.session.execute(
                END_CURRENT_IDENTITY, {"account_id": request.account_id, "now": now, "reason": SUPERSEDED}
            )
        ).all()
        await uow.session.execute(
            INSERT_IDENTITY,
            {
                "id": validation_id,
                "account_id": request.account_id,
                "establishment_id": staff.establishment_id,
                "staff_id": staff.id,
                "fingerprint": fingerprint,
                "nam_hmac": nam_digest,
                "now": now,
            },
        )
        await audit_trail.record(
            uow,
            at=now,
            actor=str(staff.id),
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
        raise NOT_CONFIRMED
    if request.person_id == request.account_id:
        raise SAME_PERSON
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
    await clinic_patients.require_patient(uow, staff.establishment_id, account_id, person_id)
    if (await uow.session.execute(CURRENT_IDENTITY, {"account_id": account_id})).first() is None:
        raise IDENTITY_NOT_VALIDATED
    validation_id = uuid.uuid4()
    now = datetime.now(UTC)
    await uow.session.execute(
        END_CURRENT_ASSOCIATIONS,
        {"account_id": account_id, "person_ids": [person_id], "now": now, "reason": SUPERSEDED},
    )
    await uow.session.execute(
        INSERT_ASSOCIATION,
        {
            "id": validation_id,
            "account_id": account_id,
            "person_id": person_id,
            "establishment_id": staff.establishment_id,
            "staff_id": staff.id,
            "now": now,
        },
    )
    await audit_trail.record(
        uow,
        at=now,
        actor=str(staff.id),
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
    row = await uow.session.execute(CURRENT_ASSOCIATION, {"account_id": account_id, "person_id": person_id})
    return row.first() is not None


async def verification_states(
    uow: UnitOfWork, establishment_id: uuid.UUID, account_ids: list[uuid.UUID]
) -> list[VerificationState]:
    """Red/green for the console's icons, of people with an appointment at the establishment only (404
    otherwise). Validations themselves hold across clinics: any clinic's validation counts."""
    async with uow:
        await clinic_patients.require_patients(uow, establishment_id, account_ids)
        identified = set((await uow.session.execute(IDENTITIES_VALIDATED, {"ids": account_ids})).scalars().all())
        associations = (await uow.session.execute(ASSOCIATIONS_VALIDATED, {"ids": account_ids})).all()
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
    ended = (
        await uow.session.execute(END_CURRENT_IDENTITY, {"account_id": account_id, "now": now, "reason": reason})
    ).all()
    for row in ended:
        await audit_trail.record(
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
    ended = (
        await uow.session.execute(
            END_CURRENT_ASSOCIATIONS, {"account_id": account_id, "person_ids": person_ids, "now": now, "reason": reason}
        )
    ).all()
    for row in ended:
        await audit_trail.record(
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


async def on_profile_changed(uow: UnitOfWork, event: ProfileChanged, causation_id: uuid.UUID | None = None) -> None:
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


async def on_nam_discrepancy(
    uow: UnitOfWork, event: NamDiscrepancyFound, causation_id: uuid.UUID | None = None
) -> None:
    """The NAM a clerk confirmed is not the account's: that validation (if still the current one) ends with
    the holder's associations, and the clinic's audit log records the discrepancy."""
    await lock_account(uow, event.account_id)
    now = datetime.now(UTC)
    ended = (
        await uow.session.execute(
            END_IDENTITY,
            {"id": event.validation_id, "account_id": event.account_id, "now": now, "reason": NAM_DISCREPANCY},
        )
    ).first()
    if ended is None:
        return  # superseded or already ended: a newer confirmation stands (accounts checks it in turn)
    await audit_trail.record(
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


async def on_dependant_removed(uow: UnitOfWork, event: DependantRemoved, causation_id: uuid.UUID | None = None) -> None:
    await lock_account(uow, event.account_id)
    now = datetime.now(UTC)
    await _revoke_associations(uow, event.account_id, [event.dependant_id], DEPENDANT_REMOVED, now, causation_id)


async def forget_validations(uow: UnitOfWork, event: AccountDeleted, causation_id: uuid.UUID | None = None) -> None:
    """Ends every validation of the account and its dependants, keeping ids and dates only."""
    await lock_account(uow, event.account_id)
    now = datetime.now(UTC)
    await _invalidate_identity(uow, event.account_id, ACCOUNT_DELETED, now, causation_id)
    await _revoke_associations(uow, event.account_id, None, ACCOUNT_DELETED, now, causation_id)
    await uow.session.execute(ERASE_DIGESTS, {"account_id": event.account_id})
