"""The audit page says every action verification records for the console's administration (issue 21) in
words of the visitor's language, names the staff member whose access changed, and operators as such."""

import typing

import pytest

from gateway.audit_pages import ACTIONS, actor_name, details_sentence
from gateway.upstreams import AuditEntry
from gateway.upstreams.accounts import StaffName
from shared.contracts.accounts import StaffAction

# Verification's names for these events (services/verification/validations/rules.py); the gateway imports no
# service, so they are written here, and StaffAccessChanged's actions are read from the contract itself.
ADMINISTRATION = {
    "staff_invited",
    "establishment_created",
    "establishment_updated",
    "service_added",
    "rules_changed",
    "caller_booked",
    "caller_cancelled",
    "caller_rescheduled",
    *typing.get_args(StaffAction),
}
CLERK_ID = "4f0c1d2e-0000-4000-8000-000000000001"
STAFF: dict[str, StaffName] = {CLERK_ID: {"id": CLERK_ID, "name": "Marie Tremblay", "role": "clerk"}}


def entry(action: str, details: dict[str, str], **more: object) -> AuditEntry:
    return typing.cast(
        AuditEntry, {"at": "2026-12-06T14:00:00+00:00", "action": action, "actor": "x", "details": details, **more}
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_administration_action_has_a_label_of_its_own(lang):
    labels = {action: ACTIONS[lang].get(action) for action in ADMINISTRATION}
    assert None not in labels.values(), [a for a, label in labels.items() if label is None]
    assert len(set(labels.values())) == len(labels)
    assert not set(labels.values()) & set(ADMINISTRATION)  # words, not codes


def test_labels_differ_between_languages():
    assert all(ACTIONS["fr"][action] != ACTIONS["en"][action] for action in ADMINISTRATION)


@pytest.mark.parametrize(
    ("lang", "invited", "changed", "unknown"),
    [
        ("fr", "Invité comme commis.", "Membre du personnel\u00a0: Marie Tremblay, gestionnaire.",
         "Membre du personnel (retiré)."),
        ("en", "Invited as clerk.", "Staff member: Marie Tremblay, manager.", "Staff member (removed)."),
    ],
)  # fmt: skip
def test_details_say_the_role_and_whose_access_changed(lang, invited, changed, unknown):
    sentence = details_sentence(entry("staff_invited", {"invitation_id": "i", "role": "clerk", "by": "manager"}), lang)
    assert sentence == invited
    role_changed = entry("role_changed", {"staff_id": CLERK_ID, "role": "manager"})
    assert details_sentence(role_changed, lang, STAFF) == changed
    assert details_sentence(entry("factor_reset", {"staff_id": "someone-else"}), lang, STAFF) == unknown
    # Ids are not for reading: a caller's booking and a rule change say nothing more than their label.
    assert details_sentence(entry("caller_booked", {"appointment_id": "a", "service_id": "s"}), lang) == ""
    assert details_sentence(entry("rules_changed", {"service_id": "s"}), lang) == ""


def test_an_operator_is_named_as_the_platforms():
    assert actor_name("op", STAFF, "fr", "operator") == "Opérateur de la plateforme"
    assert actor_name("op", STAFF, "en", "operator") == "Platform operator"
    assert actor_name(CLERK_ID, STAFF, "en", None) == "Marie Tremblay (clerk)"
    assert actor_name("gone", STAFF, "en", "manager") == "Staff member (removed)"
