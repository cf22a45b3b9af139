"""What accounts asks notifications to tell a holder about their account: accounts owns the contact
details, so each notice names where it goes (email first, as the account's other notices)."""

import uuid
from typing import Any

from sqlalchemy import select

from services.accounts.models import accounts, dependants
from shared.contracts.accounts import HolderNoticeRequested, HolderNoticeTopic
from shared.contracts.verification import AssociationRequestDecided
from shared.unit_of_work import UnitOfWork


def notice_for(
    holder: Any, topic: HolderNoticeTopic, cause_id: uuid.UUID, **details: Any
) -> HolderNoticeRequested | None:
    """One notice per cause and holder (its id derives from both), or None when there is no address."""
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
        **details,
    )


async def tell_holders(
    uow: UnitOfWork,
    account_ids: list[uuid.UUID],
    topic: HolderNoticeTopic,
    cause_id: uuid.UUID,
    causation_id: uuid.UUID | None,
    **details: Any,
) -> None:
    holders = await uow.session.execute(
        select(accounts.c.id, accounts.c.email, accounts.c.phone, accounts.c.language).where(
            accounts.c.id.in_(account_ids)
        )
    )
    for holder in holders:
        notice = notice_for(holder, topic, cause_id, **details)
        if notice is not None:
            uow.publish(notice, causation_id)


async def on_association_request_decided(
    uow: UnitOfWork, event: AssociationRequestDecided, causation_id: uuid.UUID
) -> None:
    """The citizen hears the clinic's answer, naming the patient by the first name they typed."""
    patient = (
        await uow.session.execute(
            select(dependants.c.first_name).where(
                dependants.c.id == event.person_id, dependants.c.account_id == event.account_id
            )
        )
    ).first()
    if patient is None:
        return  # the dependant was removed meanwhile: nothing left to tell about
    topic: HolderNoticeTopic = "association_request_accepted" if event.accepted else "association_request_refused"
    await tell_holders(
        uow,
        [event.account_id],
        topic,
        event.request_id,
        causation_id,
        patient_first_name=patient.first_name,
        reason=event.reason,
    )
