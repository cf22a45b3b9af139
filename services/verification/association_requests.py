"""Citizens' association requests (the seed's "coming soon"): a citizen asks that a patient of their
account be associated with it; the request waits in the console of the establishment where that
patient next has an appointment; the clinic accepts (which validates the association, in the front-desk
order: the holder's identity first) or refuses with a reason. Either way AssociationRequestDecided
tells accounts, which tells the citizen.

Only ids are kept: the console shows the patient from the appointment's booking snapshot.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import and_, insert, select, update

from services.verification import audit_trail
from services.verification.clinic_rules import (
    ACCEPTED,
    ALREADY_ASSOCIATED,
    NOT_CONFIRMED,
    PENDING,
    REFUSED,
    REQUEST_ALREADY_DECIDED,
    REQUEST_NOT_FOUND,
    SAME_PERSON,
    SYSTEM_ACTOR,
    WITHDRAWN,
    Staff,
)
from services.verification.clinic_validations import association_validated, lock_account, record_association
from services.verification.models import association_requests
from services.verification.validation_schemas import (
    AcceptAssociationRequest,
    AssociationRequestView,
    FileAssociationRequest,
    RefuseAssociationRequest,
)
from shared.contracts.verification import AssociationRequestDecided
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

MAX_LISTED = 200


def _view(row: Any) -> AssociationRequestView:
    return AssociationRequestView.model_validate(row, from_attributes=True)


async def file_request(
    uow: UnitOfWork, account_id: uuid.UUID, request: FileAssociationRequest
) -> AssociationRequestView:
    """Asking again while a request is open returns the open one: one request per patient."""
    if request.person_id == account_id:
        raise SAME_PERSON
    async with uow:
        await lock_account(uow, account_id)
        if await association_validated(uow, account_id, request.person_id):
            raise ALREADY_ASSOCIATED
        open_request = (
            await uow.session.execute(
                select(association_requests).where(
                    association_requests.c.account_id == account_id,
                    association_requests.c.person_id == request.person_id,
                    association_requests.c.status == PENDING,
                )
            )
        ).first()
        if open_request is not None:
            return _view(open_request)
        now = datetime.now(UTC)
        row = (
            await uow.session.execute(
                insert(association_requests)
                .values(
                    id=uuid.uuid4(),
                    account_id=account_id,
                    person_id=request.person_id,
                    establishment_id=request.establishment_id,
                    appointment_id=request.appointment_id,
                    status=PENDING,
                    requested_at=now,
                )
                .returning(association_requests)
            )
        ).one()
        await audit_trail.record(
            uow,
            at=now,
            actor=f"account:{account_id}",
            establishment_id=request.establishment_id,
            action="association_requested",
            account_id=account_id,
            person_id=request.person_id,
            details={"request_id": str(row.id), "appointment_id": str(request.appointment_id)},
        )
        await uow.commit()
    log.info("association_requested", request_id=str(row.id), establishment_id=str(request.establishment_id))
    return _view(row)


async def requests_of_account(uow: UnitOfWork, account_id: uuid.UUID) -> list[AssociationRequestView]:
    async with uow:
        rows = await uow.session.execute(
            select(association_requests)
            .where(association_requests.c.account_id == account_id)
            .order_by(association_requests.c.requested_at.desc())
            .limit(MAX_LISTED)
        )
        return [_view(row) for row in rows]


async def requests_of_establishment(uow: UnitOfWork, staff: Staff, status: str) -> list[AssociationRequestView]:
    """The console's list; reading it is recorded like any staff read of patient records."""
    async with uow:
        rows = (
            await uow.session.execute(
                select(association_requests)
                .where(
                    association_requests.c.establishment_id == staff.establishment_id,
                    association_requests.c.status == status,
                )
                .order_by(association_requests.c.requested_at)
                .limit(MAX_LISTED)
            )
        ).all()
        await audit_trail.record(
            uow,
            at=datetime.now(UTC),
            actor=str(staff.id),
            establishment_id=staff.establishment_id,
            action="association_requests_viewed",
            details={"status": status, "count": str(len(rows))},
        )
        await uow.commit()
    return [_view(row) for row in rows]


async def _pending_of(uow: UnitOfWork, staff: Staff, request_id: uuid.UUID) -> Any:
    """Another establishment's request does not exist for this clerk (404, as for every object)."""
    row = (
        await uow.session.execute(
            select(association_requests).where(
                association_requests.c.id == request_id,
                association_requests.c.establishment_id == staff.establishment_id,
            )
        )
    ).first()
    if row is None:
        raise REQUEST_NOT_FOUND
    return row


async def _decide(
    uow: UnitOfWork, staff: Staff, row: Any, status: str, reason: str | None, now: datetime
) -> AssociationRequestView:
    decided = (
        await uow.session.execute(
            update(association_requests)
            .where(association_requests.c.id == row.id, association_requests.c.status == PENDING)
            .values(status=status, reason=reason, decided_at=now, decided_by=staff.id)
            .returning(association_requests)
        )
    ).one()
    await audit_trail.record(
        uow,
        at=now,
        actor=str(staff.id),
        establishment_id=staff.establishment_id,
        action=f"association_request_{status}",
        account_id=decided.account_id,
        person_id=decided.person_id,
        details={"request_id": str(decided.id), **({"reason": reason} if reason else {})},
    )
    uow.publish(
        AssociationRequestDecided(
            request_id=decided.id,
            account_id=decided.account_id,
            person_id=decided.person_id,
            establishment_id=staff.establishment_id,
            accepted=status == ACCEPTED,
            reason=reason,
        )
    )
    return _view(decided)


async def accept(
    uow: UnitOfWork, staff: Staff, request_id: uuid.UUID, body: AcceptAssociationRequest
) -> AssociationRequestView:
    """Accepting is validating the association: refused (409) before the holder's identity is validated."""
    if not body.confirmed:
        raise NOT_CONFIRMED
    async with uow:
        row = await _pending_of(uow, staff, request_id)
        await lock_account(uow, row.account_id)
        row = await _pending_of(uow, staff, request_id)  # re-read under the lock
        if row.status != PENDING:
            raise REQUEST_ALREADY_DECIDED
        await record_association(uow, staff, row.account_id, row.person_id)
        view = await _decide(uow, staff, row, ACCEPTED, None, datetime.now(UTC))
        await uow.commit()
    log.info("association_request_accepted", request_id=str(request_id), establishment_id=str(staff.establishment_id))
    return view


async def refuse(
    uow: UnitOfWork, staff: Staff, request_id: uuid.UUID, body: RefuseAssociationRequest
) -> AssociationRequestView:
    async with uow:
        row = await _pending_of(uow, staff, request_id)
        await lock_account(uow, row.account_id)
        row = await _pending_of(uow, staff, request_id)
        if row.status != PENDING:
            raise REQUEST_ALREADY_DECIDED
        view = await _decide(uow, staff, row, REFUSED, body.reason, datetime.now(UTC))
        await uow.commit()
    log.info("association_request_refused", request_id=str(request_id), establishment_id=str(staff.establishment_id))
    return view


async def withdraw(
    uow: UnitOfWork, account_id: uuid.UUID, person_ids: list[uuid.UUID] | None, reason: str, now: datetime
) -> None:
    """In the caller's transaction (an account event): the patient left the account, or the account is gone."""
    condition = and_(association_requests.c.account_id == account_id, association_requests.c.status == PENDING)
    if person_ids is not None:
        condition = and_(condition, association_requests.c.person_id.in_(person_ids))
    withdrawn = (
        await uow.session.execute(
            update(association_requests)
            .where(condition)
            .values(status=WITHDRAWN, reason=reason, decided_at=now)
            .returning(
                association_requests.c.id, association_requests.c.establishment_id, association_requests.c.person_id
            )
        )
    ).all()
    for row in withdrawn:
        await audit_trail.record(
            uow,
            at=now,
            actor=SYSTEM_ACTOR,
            establishment_id=row.establishment_id,
            action="association_request_withdrawn",
            account_id=account_id,
            person_id=row.person_id,
            details={"request_id": str(row.id), "reason": reason},
        )
