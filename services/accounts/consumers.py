"""Event handlers of the accounts service."""

from services.accounts.service import Deps, apply_passed_challenge
from shared.consumer import Handler
from shared.contracts.verification import ChallengePassed
from shared.messages import Contract, EventEnvelope
from shared.unit_of_work import UnitOfWork


def handlers(deps: Deps) -> dict[type[Contract], Handler]:
    async def on_challenge_passed(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, ChallengePassed)
        await apply_passed_challenge(uow, deps, event)

    return {ChallengePassed: on_challenge_passed}
