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

from services.accounts.links import queries
from services.accounts.links.rules import NamVault, notice_for
from shared.contracts.accounts import AccountsLinked, DependantIdentified, HolderNoticeTopic, NamDiscrepancyFound
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
    holder = await queries.holder_nam(uow.session, event.account_id)
    if holder is None or holder.nam_hmac is None:
        # Deleted since; or the holder entered no NAM (it is optional): nothing to link on, nothing the
        # clerk's reading contradicts. Adding one later is an identity change that ends this validation.
        return None
    if holder.nam_hmac != event.nam_hmac:
        uow.publish(NamDiscrepancyFound(account_id=event.account_id, validation_id=event.validation_id), causation_id)
        await tell_holders(uow, [event.account_id], "nam_discrepancy", event.validation_id, causation_id)
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
    sharing = await queries.lock_accounts_sharing(uow.session, holder.nam_hmac, event.account_id)
    if len(sharing) < 2:
        return None
    group_ids = await queries.groups_of(uow.session, sharing)
    members = await queries.members_of(uow.session, group_ids)
    wanted = sharing | members
    if len(group_ids) == 1 and members == wanted:
        return next(iter(group_ids))

    if group_ids:
        group_id = min(group_ids)  # any survivor will do; the smallest makes a merge deterministic
        others = group_ids - {group_id}
        if others:
            await queries.merge_groups(uow.session, group_id, others)
    else:
        group_id = uuid.uuid4()
        await queries.new_group(uow.session, group_id)
    newcomers = wanted - members
    if newcomers:
        await queries.join_group(uow.session, group_id, sorted(newcomers))
    uow.publish(AccountsLinked(link_group_id=group_id, account_ids=sorted(wanted)), causation_id)
    await tell_holders(
        uow, sorted(wanted), "accounts_linked", event.validation_id, causation_id, linked_accounts=len(wanted)
    )
    return group_id


async def leave_group(uow: UnitOfWork, account_id: uuid.UUID, cause_id: uuid.UUID, *, tell_holder: bool) -> None:
    """The holder's NAM changed (or the account is going): it no longer shares the group's NAM, so it
    leaves; the others stay linked, and a group of one is no group. AccountsLinked carries what remains
    (an empty list when the group is gone), so readers drop the account."""
    group_id = await queries.leave_group(uow.session, account_id)
    if group_id is None:
        return
    remaining = await queries.lock_members(uow.session, group_id)
    if len(remaining) < 2:
        await queries.delete_group(uow.session, group_id)
        remaining = []
    uow.publish(AccountsLinked(link_group_id=group_id, account_ids=remaining))
    if tell_holder:
        await tell_holders(uow, [account_id], "account_unlinked", cause_id, None)


async def linked_account_ids(uow: UnitOfWork, account_id: uuid.UUID) -> list[uuid.UUID]:
    """The other accounts linked with this one (empty when it is in no group)."""
    return await queries.linked_account_ids(uow.session, account_id)


async def tell_holders(
    uow: UnitOfWork,
    account_ids: list[uuid.UUID],
    topic: HolderNoticeTopic,
    cause_id: uuid.UUID,
    causation_id: uuid.UUID | None,
    *,
    linked_accounts: int | None = None,
    patient_first_name: str | None = None,
    reason: str | None = None,
) -> None:
    """Asks notifications to tell each holder (accounts owns the contact details, so each notice names where
    it goes)."""
    for holder in await queries.notice_holders(uow.session, account_ids):
        notice = notice_for(
            holder,
            topic,
            cause_id,
            linked_accounts=linked_accounts,
            patient_first_name=patient_first_name,
            reason=reason,
        )
        if notice is not None:
            uow.publish(notice, causation_id)
