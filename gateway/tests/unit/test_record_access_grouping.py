"""The record-access page's grouping: each entry under every person of the account it concerns, by the
appointment's person or, for one booked elsewhere (a linked account, the other parent, without an account),
by name; a validation under its person; nothing for a person no longer in the account."""

from typing import Any

from gateway.record_access_pages import group_by_person
from gateway.upstreams.verification import RecordAccessEntry

HOLDER = {"id": "h", "first_name": "Thomas", "last_name": "Testeur"}
CHILD = {"id": "c", "first_name": "Tina", "last_name": "Testeur"}
PLACE = {"establishment_id": "x", "name": "Clinique X"}
SERVICE = {"name_fr": "Vaccin", "name_en": "Vaccine"}


def visit(appointment_id: str, person_id: str | None, first_name: str, last_name: str = "Testeur") -> dict[str, Any]:
    return {
        "id": appointment_id,
        "person_id": person_id,
        "first_name": first_name,
        "last_name": last_name,
        "starts_at": "2026-12-07T14:00:00+00:00",
        "place": PLACE,
        "service": SERVICE,
    }


def entry(
    action: str, appointment_ids: list[str], person_id: str | None = None, role: Any = "clerk"
) -> RecordAccessEntry:
    return {
        "id": 1,
        "at": "2026-12-06T15:30:00+00:00",
        "action": action,
        "establishment_id": "x",
        "staff_role": role,
        "appointment_ids": appointment_ids,
        "person_id": person_id,
    }


def test_each_entry_goes_under_every_person_it_names_and_validations_under_theirs() -> None:
    history = [
        visit("a1", "h", "Thomas"),
        visit("a2", "c", "Tina"),
        visit("a3", "other-parents-record-of-tina", "TINA", " testeur "),  # the other parent's booking
        visit("a4", None, "Zoé", "Autre"),  # a linked account's dependant: a group of her own
    ]
    entries = [
        entry("patient_records_viewed:day_list", ["a1", "a2"], role="manager"),
        entry("patient_records_viewed:appointment", ["a3"]),
        entry("caller_booked", ["a4"], role=None),
        entry("identity_validated", [], "h"),
        entry("association_validated", [], "removed-dependant"),
    ]
    people = group_by_person(HOLDER, [CHILD], history, entries, {"x": "Clinique X"}, "fr")
    shown = {p.name: [(r["action_code"], r["by"]) for r in p.rows] for p in people}
    assert shown == {
        "Thomas Testeur": [("patient_records_viewed:day_list", "Gestionnaire"), ("identity_validated", "Commis")],
        "Tina Testeur": [
            ("patient_records_viewed:day_list", "Gestionnaire"),
            ("patient_records_viewed:appointment", "Commis"),
        ],
        "Zoé Autre": [("caller_booked", "Personnel de la clinique")],
    }
    assert [p.is_holder for p in people] == [True, False, False]
    assert people[0].rows[1]["about"] == "votre compte"
    assert people[1].rows[0]["about"].startswith("Vaccin — ")
    assert people[1].rows[0]["place"] == "Clinique X"


def test_in_english_and_with_nothing_logged() -> None:
    people = group_by_person(
        HOLDER, [CHILD], [visit("a1", "h", "Thomas")], [entry("identity_validated", [], "h", "manager")], {}, "en"
    )
    assert [(r["action"], r["by"], r["place"]) for r in people[0].rows] == [
        ("Identity validated", "Manager", "Establishment")
    ]
    empty = group_by_person(HOLDER, [CHILD], [], [], {}, "fr")
    assert [(p.name, p.rows) for p in empty] == [("Thomas Testeur", []), ("Tina Testeur", [])]
