"""NAM-linked accounts: once a clinic validates a holder's identity, every account carrying the same NAM
joins one link group, so the citizen sees all their appointments whichever identifier they log in with.

Matching uses the keyed HMAC of the NAM (verification derives it with the same key as NamVault), so the
NAM itself is never looked up, stored in a link or put in an event.

Linking follows the NAM the holder entered in the account, never the one the clerk typed: the clerk's
reading (IdentityValidated.nam_hmac) only confirms it. When the two differ, nothing is linked (issue 18,
finding 2: a clerk typing another person's NAM linked an account to that person's appointments); the
holder is asked to check the NAM in their account and NamDiscrepancyFound ends the validation, so the
clinic validates again.
"""

import uuid

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.accounts import holder_notices
from services.accounts.models import account_link_groups, account_links, accounts
from services.accounts.personal_data import NamVault
from shared.contracts.accounts import AccountsLinked, DependantIdentified, NamDiscrepancyFound
from shared.contracts.verification import IdentityValidated
from shared.unit_of_work import UnitOfWork


async def link_accounts_sharing_nam(
    uow: UnitOfWork, vault: NamVault, event: IdentityValidated, causation_id: uuid.UUID | None = None
) -> uuid.UUID | None:
    """Puts the validated account and every account with its NAM in one group, merging existing groups,
    once the clerk's reading of the card agrees with the NAM the holder entered.

    Publishes AccountsLinked only when the membership changed, so a replay or a second validation is a
    no-op. Returns the group id, or None when there is nothing to link.
    """
    if not event.nam_hmac:
        return None  # the clerk confirmed no NAM: nothing confirms the account's
    holder = (
        await uow.session.execute(
            select(accounts.c.nam_hmac, accounts.c.birth_date).where(accounts.c.id == event.account_id)
        )
    ).first()
    if holder is None or holder.nam_hmac is None:
        # Deleted since; or the holder entered no NAM (it is optional): nothing to link on, nothing the
        # clerk's reading contradicts. Adding one later is an identity change that ends this validation.
        return None
    if holder.nam_hmac != event.nam_hmac:
        uow.publish(NamDiscrepancyFound(account_id=event.account_id, validation_id=event.validation_id), causation_id)
        await holder_notices.tell_holders(uow, [event.account_id], "nam_discrepancy", event.validation_id, causation_id)
        return None
    # The holder's bookings made without an account join the history on what the account holds.
    uow.publish(
        DependantIdentified(
            account_id=event.account_id,
            person_id=event.account_id,
            identity_key=vault.identity_key(holder.nam_hmac, holder.birth_date),
        ),
        causation_id,
    )
    # Row locks on the accounts in order: two validations of the same NAM at once link one after the other.
    sharing = set(
        (
            await uow.session.execute(
                select(accounts.c.id)
                .where((accounts.c.nam_hmac == holder.nam_hmac) | (accounts.c.id == event.account_id))
                .order_by(accounts.c.id)
                .with_for_update()
            )
        ).scalars()
    )
    if len(sharing) < 2:
        return None
    group_ids = set(
        (
            await uow.session.execute(select(account_links.c.group_id).where(account_links.c.account_id.in_(sharing)))
        ).scalars()
    )
    members = set(
        (
            await uow.session.execute(select(account_links.c.account_id).where(account_links.c.group_id.in_(group_ids)))
        ).scalars()
    )
    wanted = sharing | members
    if len(group_ids) == 1 and members == wanted:
        return next(iter(group_ids))

    if group_ids:
        group_id = min(group_ids)  # any survivor will do; the smallest makes a merge deterministic
        others = group_ids - {group_id}
        if others:
            await uow.session.execute(
                update(account_links).where(account_links.c.group_id.in_(others)).values(group_id=group_id)
            )
            await uow.session.execute(delete(account_link_groups).where(account_link_groups.c.id.in_(others)))
    else:
        group_id = uuid.uuid4()
        await uow.session.execute(insert(account_link_groups).values(id=group_id))
    newcomers = wanted - members
    if newcomers:
        await uow.session.execute(
            pg_insert(account_links)
            .values([{"account_id": account_id, "group_id": group_id} for account_id in sorted(newcomers)])
            .on_conflict_do_update(index_elements=[account_links.c.account_id], set_={"group_id": group_id})
        )
    uow.publish(AccountsLinked(link_group_id=group_id, account_ids=sorted(wanted)), causation_id)
    await holder_notices.tell_holders(
        uow, sorted(wanted), "accounts_linked", event.validation_id, causation_id, linked_accounts=len(wanted)
    )
    return group_id


async def leave_group(uow: UnitOfWork, account_id: uuid.UUID, cause_id: uuid.UUID, *, tell_holder: bool) -> None:
    """The holder's NAM changed (or the account is going): it no longer shares the group's NAM, so it
    leaves; the others stay linked, and a group of one is no group. AccountsLinked carries what remains
    (an empty list when the group is gone), so readers drop the account."""
    group_id = (
        await uow.session.execute(
            delete(account_links).where(account_links.c.account_id == account_id).returning(account_links.c.group_id)
        )
    ).scalar()
    if group_id is None:
        return
    remaining = list(
        (
            await uow.session.execute(
                select(account_links.c.account_id)
                .where(account_links.c.group_id == group_id)
                .order_by(account_links.c.account_id)
                .with_for_update()
            )
        ).scalars()
    )
    if len(remaining) < 2:
        await uow.session.execute(delete(account_link_groups).where(account_link_groups.c.id == group_id))
        remaining = []
    uow.publish(AccountsLinked(link_group_id=group_id, account_ids=remaining))
    if tell_holder:
        await holder_notices.tell_holders(uow, [account_id], "account_unlinked", cause_id, None)


async def linked_account_ids(uow: UnitOfWork, account_id: uuid.UUID) -> list[uuid.UUID]:
    """The other accounts linked with this one (empty when it is in no group)."""
    group = select(account_links.c.group_id).where(account_links.c.account_id == account_id).scalar_subquery()
    rows = await uow.session.execute(
        select(account_links.c.account_id)
        .where(account_links.c.group_id == group, account_links.c.account_id != account_id)
        .order_by(account_links.c.account_id)
    )
    return list(rows.scalars())
