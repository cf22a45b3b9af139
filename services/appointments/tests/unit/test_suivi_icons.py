"""The Suivi list's icon rule (clinic guide, sections 3.1-3.4)."""

import uuid

import pytest

from services.appointments.front_desk.rules import suivi_icons

HOLDER, CHILD = uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize(
    ("account_id", "person_id", "identity", "association", "expected"),
    [
        # Booked without an account: grey whatever the read model says.
        (None, None, False, False, ("grey", "grey")),
        (None, None, True, True, ("grey", "grey")),
        # The holder's own booking: the card follows the profile, there is no association to validate.
        (HOLDER, HOLDER, False, False, ("red", "red")),
        (HOLDER, HOLDER, True, False, ("green", "green")),
        (HOLDER, None, True, False, ("green", "green")),
        # A dependant: the card is the (holder, dependant) association.
        (HOLDER, CHILD, False, False, ("red", "red")),
        (HOLDER, CHILD, True, False, ("green", "red")),
        (HOLDER, CHILD, True, True, ("green", "green")),
        (HOLDER, CHILD, False, True, ("red", "green")),
    ],
)
def test_icons(account_id, person_id, identity, association, expected):
    assert suivi_icons(account_id, person_id, identity, association) == expected
