"""Each accounts handler is registered from its `event` annotation: the five events it hears, one handler each."""

from services.accounts.consumers import PersonalDataHandlers, on_association_request_decided, on_association_revoked
from services.accounts.links.rules import NamVault
from shared.consumer import route_handlers
from shared.contracts.verification import (
    AssociationRequestDecided,
    AssociationRevoked,
    AssociationValidated,
    ChallengePassed,
    IdentityValidated,
)


def test_every_handler_is_routed_to_the_event_it_names():
    personal_data = PersonalDataHandlers(NamVault("test key"))
    routes = route_handlers(
        [
            personal_data.on_challenge_passed,
            personal_data.on_identity_validated,
            personal_data.on_association_validated,
            on_association_revoked,
            on_association_request_decided,
        ]
    )
    events = [ChallengePassed, IdentityValidated, AssociationValidated, AssociationRevoked, AssociationRequestDecided]
    assert {key: route.contract for key, route in routes.items()} == {e.routing_key(): e for e in events}
