"""The accounts service's part of the citizen's export: everything it holds about the account and its family."""

import uuid
from dataclasses import asdict

from services.accounts.export import queries
from services.accounts.export.schemas import (
    AccountsExportResponse,
    ExportedDependant,
    ExportedLinkGroup,
    ExportedPendingChange,
    ExportedProfile,
    ExportedSession,
    ExportedValidatedDependant,
)
from services.accounts.links.rules import NamVault, mask_nam
from services.accounts.profile.rules import AccountNotFound
from shared.unit_of_work import UnitOfWork


async def export_account(uow: UnitOfWork, vault: NamVault, account_id: uuid.UUID) -> AccountsExportResponse:
    """Refused once the account is deleted (its token may outlive it by minutes): nothing is left to give."""
    async with uow:
        account = await queries.account(uow.session, account_id)
        if account is None:
            raise AccountNotFound
        family = await queries.dependants_of(uow.session, account_id)
        changes = await queries.pending_changes_of(uow.session, account_id)
        sessions = await queries.sessions_of(uow.session, account_id)
        links = await queries.link_group_of(uow.session, account_id)
        validated = await queries.validated_dependants_of(uow.session, account_id)
    profile = {k: v for k, v in asdict(account).items() if k != "nam_encrypted"}
    return AccountsExportResponse(
        profile=ExportedProfile(**profile, nam=mask_nam(vault.reveal(account.nam_encrypted))),
        dependants=[
            ExportedDependant(
                **{k: v for k, v in asdict(d).items() if k != "nam_encrypted"},
                nam=mask_nam(vault.reveal(d.nam_encrypted)),
            )
            for d in family
        ],
        pending_changes=[ExportedPendingChange(**asdict(c)) for c in changes],
        sessions=[ExportedSession(**asdict(s)) for s in sessions],
        link_group=ExportedLinkGroup(
            id=links[0].group_id, created_at=links[0].created_at, account_ids=[link.account_id for link in links]
        )
        if links
        else None,
        validated_dependants=[ExportedValidatedDependant(**asdict(v)) for v in validated],
    )
