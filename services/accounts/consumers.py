"""Event handlers of the accounts service, each registered from its `event` annotation (shared/consumer.py)."""

from services.accounts.family.use_cases import (
    share_validated_child,
    tell_association_request_decided,
    unshare_revoked_child,
)
from services.accounts.links.rules import NamVault
from services.accounts.links.use_cases import link_accounts_sharing_nam
from services.accounts.registration.use_cases import apply_passed_challenge, record_code_locked
from shared.contracts.verification import (
    AssociationRequestDecided,
    AssociationRevoked,
    AssociationValidated,
    ChallengePassed,
    CodeLocked,
    IdentityValidated,
)
from shared.messages import EventEnvelope
from shared.unit_of_work import UnitOfWork


class PersonalDataHandlers:
    """The handlers that read or protect a NAM or a contact: they need the service's vault (built in main.py)."""

    def __init__(self, vault: NamVault) -> None:
        self._vault = vault

    async def on_challenge_passed(self, uow: UnitOfWork, event: ChallengePassed) -> None:
        await apply_passed_challenge(uow, self._vault, event)

    async def on_identity_validated(self, uow: UnitOfWork, event: IdentityValidated, envelope: EventEnvelope) -> None:
        await link_accounts_sharing_nam(uow, self._vault, event, envelope.id)

    async def on_association_validated(
        self, uow: UnitOfWork, event: AssociationValidated, envelope: EventEnvelope
    ) -> None:
        await share_validated_child(uow, self._vault, event, envelope.id)


async def on_code_locked(uow: UnitOfWork, event: CodeLocked) -> None:
    await record_code_locked(uow, event)


async def on_association_revoked(uow: UnitOfWork, event: AssociationRevoked, envelope: EventEnvelope) -> None:
    await unshare_revoked_child(uow, event, envelope.id)


async def on_association_request_decided(
    uow: UnitOfWork, event: AssociationRequestDecided, envelope: EventEnvelope
) -> None:
    await tell_association_request_decided(uow, event, envelope.id)
