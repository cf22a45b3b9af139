"""Event handlers of the appointments service."""

from sqlalchemy import delete, func, insert, or_, select, update

from services.appointments import history, verification_states
from services.appointments.models import account_links, appointments, dependant_links
from shared.consumer import Handler
from shared.contracts.accounts import AccountDeleted, AccountsLinked, DependantIdentified, DependantsLinked
from shared.contracts.verification import (
    AssociationRevoked,
    AssociationValidated,
    IdentityInvalidated,
    IdentityValidated,
)
from shared.messages import Contract, EventEnvelope
from shared.unit_of_work import UnitOfWork


async def on_account_deleted(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
    """Appointments held at a clinic stay with the clinic (who came, for what, when); what belonged to the
    account goes with it: the link, the account's email and phone, the holder's name. No notice can reach
    those appointments afterwards; the clinic still sees them on its list."""
    assert isinstance(event, AccountDeleted)
    await uow.session.execute(
        update(appointments)
        .where(appointments.c.account_id == event.account_id)
        .values(account_id=None, email=None, phone=None, holder_name=None)
    )
    await verification_states.forget_account(uow.session, event.account_id, event.dependant_ids)
    await history.forget_account(uow.session, event.account_id)
    await uow.session.execute(delete(account_links).where(account_links.c.account_id == event.account_id))
    await uow.session.execute(delete(dependant_links).where(dependant_links.c.account_id == event.account_id))


async def on_accounts_linked(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
    """The event carries the group's whole membership: it replaces what is held for the group and its
    accounts (a merge moves accounts from another group), unless something newer was applied already."""
    assert isinstance(event, AccountsLinked)
    concerned = or_(account_links.c.group_id == event.link_group_id, account_links.c.account_id.in_(event.account_ids))
    newest = (await uow.session.execute(select(func.max(account_links.c.linked_at)).where(concerned))).scalar()
    if newest is not None and newest > envelope.occurred_at:
        return
    await uow.session.execute(delete(account_links).where(concerned))
    if event.account_ids:
        await uow.session.execute(
            insert(account_links).values(
                [
                    {"account_id": account_id, "group_id": event.link_group_id, "linked_at": envelope.occurred_at}
                    for account_id in set(event.account_ids)
                ]
            )
        )


async def on_dependants_linked(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
    """The group's whole membership replaces what is held, unless something newer was applied already."""
    assert isinstance(event, DependantsLinked)
    newest = (
        await uow.session.execute(
            select(func.max(dependant_links.c.linked_at)).where(dependant_links.c.group_id == event.group_id)
        )
    ).scalar()
    if newest is not None and newest > envelope.occurred_at:
        return
    await uow.session.execute(delete(dependant_links).where(dependant_links.c.group_id == event.group_id))
    if len(event.members) >= 2:  # one parent alone shares nothing
        await uow.session.execute(
            insert(dependant_links).values(
                [
                    {
                        "person_id": m.person_id,
                        "account_id": m.account_id,
                        "group_id": event.group_id,
                        "linked_at": envelope.occurred_at,
                    }
                    for m in event.members
                ]
            )
        )


# The envelope's occurred_at orders the events: a redelivered or late older event must not undo a newer one.


async def on_identity_validated(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
    assert isinstance(event, IdentityValidated)
    await verification_states.record_identity(uow.session, event.account_id, True, envelope.occurred_at)
    await history.record_person(
        uow.session, event.account_id, event.account_id, event.identity_key, envelope.occurred_at
    )


async def on_identity_invalidated(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
    assert isinstance(event, IdentityInvalidated)
    await verification_states.record_identity(uow.session, event.account_id, False, envelope.occurred_at)


async def on_association_validated(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
    assert isinstance(event, AssociationValidated)
    await verification_states.record_association(
        uow.session, event.account_id, event.person_id, True, envelope.occurred_at
    )


async def on_association_revoked(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
    assert isinstance(event, AssociationRevoked)
    await verification_states.record_association(
        uow.session, event.account_id, event.person_id, False, envelope.occurred_at
    )


async def on_dependant_identified(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
    assert isinstance(event, DependantIdentified)
    await history.record_person(
        uow.session, event.account_id, event.person_id, event.identity_key, envelope.occurred_at
    )


def handlers() -> dict[type[Contract], Handler]:
    return {
        AccountDeleted: on_account_deleted,
        AccountsLinked: on_accounts_linked,
        DependantsLinked: on_dependants_linked,
        DependantIdentified: on_dependant_identified,
        IdentityValidated: on_identity_validated,
        IdentityInvalidated: on_identity_invalidated,
        AssociationValidated: on_association_validated,
        AssociationRevoked: on_association_revoked,
    }
