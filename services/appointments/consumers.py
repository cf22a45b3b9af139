"""Event handlers of the appointments service, each registered from its `event` annotation (main.py)."""

from services.appointments.booking import queries as booking_queries
from services.appointments.front_desk import queries as front_desk_queries
from services.appointments.history import queries as history_queries
from services.appointments.waitlist import queries as waitlist_queries
from shared.contracts.accounts import (
    AccountDeleted,
    AccountsLinked,
    DependantIdentified,
    DependantRemoved,
    DependantsLinked,
)
from shared.contracts.verification import (
    AssociationRevoked,
    AssociationValidated,
    IdentityInvalidated,
    IdentityValidated,
)
from shared.messages import EventEnvelope
from shared.unit_of_work import UnitOfWork


async def on_account_deleted(uow: UnitOfWork, event: AccountDeleted) -> None:
    """Appointments held at a clinic stay with the clinic (who came, for what, when); what belonged to the
    account goes with it: the link, the account's email and phone, the holder's name, its waitlist entries (a seat
    held for one goes to the next in line). No notice can reach those appointments afterwards; the clinic still
    sees them on its list."""
    await booking_queries.unlink_account(uow.session, event.account_id)
    await front_desk_queries.forget_account(uow.session, event.account_id, event.dependant_ids)
    await history_queries.forget_account(uow.session, event.account_id)
    await waitlist_queries.forget_account(uow.session, event.account_id)


async def on_dependant_removed(uow: UnitOfWork, event: DependantRemoved) -> None:
    """The person is no longer the account's to wait for: the entries the account made for them end (a seat held
    for one goes to the next in line), so the former holder gets no more offers for them."""
    await waitlist_queries.end_entries_of_person(uow.session, event.account_id, event.dependant_id)


# The envelope's occurred_at orders the events: a redelivered or late older event must not undo a newer one.


async def on_accounts_linked(uow: UnitOfWork, event: AccountsLinked, envelope: EventEnvelope) -> None:
    """The event carries the group's whole membership: it replaces what is held for the group and its
    accounts (a merge moves accounts from another group), unless something newer was applied already."""
    await booking_queries.replace_account_links(
        uow.session, event.link_group_id, list(event.account_ids), envelope.occurred_at
    )


async def on_dependants_linked(uow: UnitOfWork, event: DependantsLinked, envelope: EventEnvelope) -> None:
    """The group's whole membership replaces what is held, unless something newer was applied already."""
    members = [(member.person_id, member.account_id) for member in event.members]
    await booking_queries.replace_dependant_links(uow.session, event.group_id, members, envelope.occurred_at)


async def on_identity_validated(uow: UnitOfWork, event: IdentityValidated, envelope: EventEnvelope) -> None:
    await front_desk_queries.record_identity(uow.session, event.account_id, True, envelope.occurred_at)
    await history_queries.record_person(
        uow.session, event.account_id, event.account_id, event.identity_key, envelope.occurred_at
    )


async def on_identity_invalidated(uow: UnitOfWork, event: IdentityInvalidated, envelope: EventEnvelope) -> None:
    await front_desk_queries.record_identity(uow.session, event.account_id, False, envelope.occurred_at)


async def on_association_validated(uow: UnitOfWork, event: AssociationValidated, envelope: EventEnvelope) -> None:
    await front_desk_queries.record_association(
        uow.session, event.account_id, event.person_id, True, envelope.occurred_at
    )


async def on_association_revoked(uow: UnitOfWork, event: AssociationRevoked, envelope: EventEnvelope) -> None:
    await front_desk_queries.record_association(
        uow.session, event.account_id, event.person_id, False, envelope.occurred_at
    )


async def on_dependant_identified(uow: UnitOfWork, event: DependantIdentified, envelope: EventEnvelope) -> None:
    await history_queries.record_person(
        uow.session, event.account_id, event.person_id, event.identity_key, envelope.occurred_at
    )
