"""The e-mail inviting someone to the console (issue 21), in French and English: who invites, where, as what, the
single-use link and its expiry in Montréal time."""

import uuid
from datetime import UTC, datetime

import pytest

from services.notifications.rendering import staff_invitation
from shared.contracts.accounts import StaffInvited

PORTAL = "https://portail.example/"
EXPIRES = datetime(2026, 12, 9, 19, 30, tzinfo=UTC)  # 14:30 in Montréal (EST)
TOKEN = "tok+en/with=chars"
LINK = "https://portail.example/admin/invitation?token=tok%2Ben/with%3Dchars"


def invited(language: str = "fr", role: str = "clerk", by: str = "manager", **more: object) -> StaffInvited:
    values: dict[str, object] = {
        "invitation_id": uuid.uuid4(),
        "email": "nouveau.commis@clinique.example",
        "establishment_id": uuid.uuid4(),
        "role": role,
        "language": language,
        "invited_by": uuid.uuid4(),
        "invited_by_role": by,
        "invitation_token": TOKEN,
        "expires_at": EXPIRES,
    }
    return StaffInvited(**values, **more)


def test_french_invitation_names_the_role_the_link_and_the_expiry_in_montreal_time():
    message = staff_invitation(invited(), PORTAL)
    assert message.subject == "Invitation à la console du personnel de Rendez-vous santé"
    assert TOKEN not in message.subject
    assert "Un gestionnaire vous invite à rejoindre un établissement comme commis" in message.body
    assert f"Pour accepter l'invitation, ouvrez ce lien :\n{LINK}\n" in message.body
    assert "expire le mercredi 9 décembre 2026 à 14 h 30 (heure de Montréal)" in message.body
    assert "demandez une nouvelle invitation à votre gestionnaire" in message.body


def test_english_invitation_of_a_manager_by_an_operator():
    message = staff_invitation(invited("en", role="manager", by="operator"), PORTAL)
    assert message.subject == "Invitation to the Rendez-vous santé staff console"
    assert "The Rendez-vous santé platform team invites you to join an establishment as manager" in message.body
    assert LINK in message.body
    assert "expires on Wednesday, December 9, 2026 at 2:30\u202fp.m. (Montréal time)" in message.body
    assert "ask the platform team for a new invitation" in message.body


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("fr", "à rejoindre l'établissement CLSC de Verdun comme gestionnaire"),
        ("en", "to join the establishment CLSC de Verdun as manager"),
    ],
)
def test_the_establishment_is_named_when_the_event_carries_its_name(language, says):
    message = staff_invitation(invited(language, role="manager", establishment_name=" CLSC de Verdun "), PORTAL)
    assert says in message.body


@pytest.mark.parametrize("name", [None, "", "   "])
def test_without_a_name_it_says_an_establishment(name):
    message = staff_invitation(invited("en", establishment_name=name), PORTAL)
    assert "to join an establishment as clerk" in message.body
