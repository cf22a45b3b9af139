"""Event handlers of the accounts service."""

from services.accounts import holder_notices, shared_children
from services.accounts.account_links import link_accounts_sharing_nam
from services.accounts.service import Deps, apply_passed_challenge
from shared.consumer import Handler
from shared.contracts.verification import (
    AssociationRequestDecided,
    AssociationRevoked,
    AssociationValidated,
    ChallengePassed,
    IdentityValidated,
)
from shared.messages import Contract, EventEnvelope
from shared.unit_of_work import UnitOfWork


def handlers(deps: Deps) -> dict[type[Contract], Handler]:
    async def on_challenge_passed(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, ChallengePassed)
        await apply_passed_challenge(uow, deps, event)

    async def on_identity_validated(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, IdentityValidated)
        await link_accounts_sharing_nam(uow, deps.vault, event, envelope.id)

    async def on_association_validated(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AssociationValidated)
        await shared_children.on_association_validated(uow, deps.vault, event, envelope.id)

    async def on_association_revoked(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AssociationRevoked)
        await shared_children.on_association_revoked(uow, event, envelope.id)

    async def on_association_request_decided(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AssociationRequestDecided)
        await holder_notices.on_association_request_decided(uow, event, envelope.id)

    return {
        AssociationRequestDecided: on_association_request_decided,
        ChallengePassed: on_challenge_passed,
        IdentityValidated: on_identity_validated,
        AssociationValidated: on_association_validated,
        AssociationRevoked: on_association_revoked,
    }
