"""The association requests' SQL (SQLAlchemy Core on the association_requests table)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, select, update

from services.verification.association_requests.rules import MAX_LISTED, PENDING, WITHDRAWN
from services.verification.models import association_requests
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class AssociationRequest:
    id: uuid.UUID
    account_id: uuid.UUID
    person_id: uuid.UUID
    establishment_id: uuid.UUID
    appointment_id: uuid.UUID
    status: str
    reason: str | None
    requested_at: datetime
    decided_at: datetime | None
    decided_by: uuid.UUID | None


@dataclass(frozen=True)
class WithdrawnRequest:
    id: uuid.UUID
    establishment_id: uuid.UUID
    person_id: uuid.UUID


async def open_request(uow: UnitOfWork, account_id: uuid.UUID, person_id: uuid.UUID) -> AssociationRequest | None:
    row = (
        await uow.session.execute(
            select(association_requests).where(
                association_requests.c.account_id == account_id,
                association_requests.c.person_id == person_id,
                association_requests.c.status == PENDING,
            )
        )
    ).first()
    return None if row is None else AssociationRequest(**row._mapping)


async def insert_request(
    uow: UnitOfWork,
    account_id: uuid.UUID,
    person_id: uuid.UUID,
    establishment_id: uuid.UUID,
    appointment_id: uuid.UUID,
    now: datetime,
) -> AssociationRequest:
    row = (
        await uow.session.execute(
            insert(association_requests)
            .values(
                id=uuid.uuid4(),
                account_id=account_id,
                person_id=person_id,
                establishment_id=establishment_id,
                appointment_id=appointment_id,
                status=PENDING,
                requested_at=now,
            )
            .returning(association_requests)
        )
    ).one()
    return AssociationRequest(**row._mapping)


async def requests_of_account(uow: UnitOfWork, account_id: uuid.UUID) -> list[AssociationRequest]:
    rows = await uow.session.execute(
        select(association_requests)
        .where(association_requests.c.account_id == account_id)
        .order_by(association_requests.c.requested_at.desc())
        .limit(MAX_LISTED)
    )
    return [AssociationRequest(**row._mapping) for row in rows]


async def requests_of_establishment(
    uow: UnitOfWork, establishment_id: uuid.UUID, status: str
) -> list[AssociationRequest]:
    rows = (
        await uow.session.execute(
            select(association_requests)
            .where(
                association_requests.c.establishment_id == establishment_id,
                association_requests.c.status == status,
            )
            .order_by(association_requests.c.requested_at)
            .limit(MAX_LISTED)
        )
    ).all()
    return [AssociationRequest(**row._mapping) for row in rows]


async def request_of_establishment(
    uow: UnitOfWork, establishment_id: uuid.UUID, request_id: uuid.UUID
) -> AssociationRequest | None:
    row = (
        await uow.session.execute(
            select(association_requests).where(
                association_requests.c.id == request_id,
                association_requests.c.establishment_id == establishment_id,
            )
        )
    ).first()
    return None if row is None else AssociationRequest(**row._mapping)


async def decide(
    uow: UnitOfWork, request_id: uuid.UUID, status: str, reason: str | None, now: datetime, staff_id: uuid.UUID
) -> AssociationRequest:
    decided = (
        await uow.session.execute(
            update(association_requests)
            .where(association_requests.c.id == request_id, association_requests.c.status == PENDING)
            .values(status=status, reason=reason, decided_at=now, decided_by=staff_id)
            .returning(association_requests)
        )
    ).one()
    return AssociationRequest(**decided._mapping)


async def withdraw_pending(
    uow: UnitOfWork, account_id: uuid.UUID, person_ids: list[uuid.UUID] | None, reason: str, now: datetime
) -> list[WithdrawnRequest]:
    """The account's pending requests (of those persons, when given) are withdrawn for the reason."""
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
    return [WithdrawnRequest(**row._mapping) for row in withdrawn]
