"""Citizens' association requests (the seed's "coming soon"): a citizen asks that a patient of their
account be associated with it; the request waits in the console of the establishment where that
patient next has an appointment; the clinic accepts (which validates the association, in the front-desk
order: the holder's identity first) or refuses with a reason. Either way AssociationRequestDecided
tells accounts, which tells the citizen.

Only ids are kept: the console shows the patient from the appointment's booking snapshot.
"""

import uuid
from datetime import UTC, datetime

import structlog

from services.verification.association_requests import queries
from services.verification.association_requests.rules import (
    ACCEPTED,
    PENDING,
    REFUSED,
    AlreadyAssociated,
    RequestAlreadyDecided,
    RequestNotFound,
)
from services.verification.association_requests.schemas import (
    AcceptAssociationRequest,
    AssociationRequestView,
    FileAssociationRequest,
    RefuseAssociationRequest,
)
from services.verification.validations.rules import SYSTEM_ACTOR, NotConfirmed, SamePerson
from services.verification.validations.use_cases import (
    association_validated,
    lock_account,
    own_establishment,
    record_association,
    record_audit,
)
from shared.contracts.verification import AssociationRequestDecided
from shared.staff import Staff
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


def _view(row: queries.AssociationRequest) -> AssociationRequestView:
    return AssociationRequestView.model_validate(row, from_attributes=True)


async def file_request(
    uow: UnitOfWork, account_id: uuid.UUID, request: FileAssociationRequest
) -> AssociationRequestView:
    """Asking again while a request is open returns the open one: one request per patient."""
    if request.person_id == account_id:
        raise SamePerson
    async with uow:
        await lock_account(uow, account_id)
        if await association_validated(uow, account_id, request.person_id):
            raise AlreadyAssociated
        open_request = await queries.open_request(uow, account_id, request.person_id)
        if open_request is not None:
            return _view(open_request)
        now = datetime.now(UTC)
        row = await queries.insert_request(
            uow, account_id, request.person_id, request.establishment_id, request.appointment_id, now
        )
        await record_audit(
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


async def list_account_requests(uow: UnitOfWork, account_id: uuid.UUID) -> list[AssociationRequestView]:
    async with uow:
        rows = await queries.requests_of_account(uow, account_id)
    return [_view(row) for row in rows]


async def list_establishment_requests(uow: UnitOfWork, staff: Staff, status: str) -> list[AssociationRequestView]:
    """The console's list; reading it is recorded like any staff read of patient records."""
    async with uow:
        rows = await queries.requests_of_establishment(uow, own_establishment(staff), status)
        await record_audit(
            uow,
            at=datetime.now(UTC),
            actor=str(staff.id),
            establishment_id=staff.establishment_id,
            action="association_requests_viewed",
            details={"status": status, "count": str(len(rows))},
        )
        await uow.commit()
    return [_view(row) for row in rows]


async def _pending_of(uow: UnitOfWork, staff: Staff, request_id: uuid.UUID) -> queries.AssociationRequest:
    """Another establishment's request does not exist for this clerk (404, as for every object)."""
    row = await queries.request_of_establishment(uow, own_establishment(staff), request_id)
    if row is None:
        raise RequestNotFound
    return row


async def _decide(
    uow: UnitOfWork, staff: Staff, row: queries.AssociationRequest, status: str, reason: str | None, now: datetime
) -> AssociationRequestView:
    decided = await queries.decide(uow, row.id, status, reason, now, staff.id)
    await record_audit(
        uow,
        at=now,
        actor=str(staff.id),
        actor_role=staff.role,
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


async def accept_request(
    uow: UnitOfWork, staff: Staff, request_id: uuid.UUID, body: AcceptAssociationRequest
) -> AssociationRequestView:
    """Accepting is validating the association: refused (409) before the holder's identity is validated."""
    if not body.confirmed:
        raise NotConfirmed
    async with uow:
        row = await _pending_of(uow, staff, request_id)
        await lock_account(uow, row.account_id)
        row = await _pending_of(uow, staff, request_id)  # re-read under the lock
        if row.status != PENDING:
            raise RequestAlreadyDecided
        await record_association(uow, staff, row.account_id, row.person_id)
        view = await _decide(uow, staff, row, ACCEPTED, None, datetime.now(UTC))
        await uow.commit()
    log.info("association_request_accepted", request_id=str(request_id), establishment_id=str(staff.establishment_id))
    return view


async def refuse_request(
    uow: UnitOfWork, staff: Staff, request_id: uuid.UUID, body: RefuseAssociationRequest
) -> AssociationRequestView:
    async with uow:
        row = await _pending_of(uow, staff, request_id)
        await lock_account(uow, row.account_id)
        row = await _pending_of(uow, staff, request_id)
        if row.status != PENDING:
            raise RequestAlreadyDecided
        view = await _decide(uow, staff, row, REFUSED, body.reason, datetime.now(UTC))
        await uow.commit()
    log.info("association_request_refused", request_id=str(request_id), establishment_id=str(staff.establishment_id))
    return view


async def withdraw_requests(
    uow: UnitOfWork, account_id: uuid.UUID, person_ids: list[uuid.UUID] | None, reason: str, now: datetime
) -> None:
    """In the caller's transaction (an account event): the patient left the account, or the account is gone."""
    withdrawn = await queries.withdraw_pending(uow, account_id, person_ids, reason, now)
    for row in withdrawn:
        await record_audit(
            uow,
            at=now,
            actor=SYSTEM_ACTOR,
            establishment_id=row.establishment_id,
            action="association_request_withdrawn",
            account_id=account_id,
            person_id=row.person_id,
            details={"request_id": str(row.id), "reason": reason},
        )
