"""The citizen's export ("my data", Québec Law 25): every table of every service is declared in that service's
export feature, column by column when it holds data about people (exported, or withheld with a reason), or as a
whole with the reason it is nobody's personal data. A new table or column that nobody decided about fails here."""

import importlib
import uuid

import pytest

from shared import inbox, outbox
from shared.db import messaging_metadata
from shared.export_coverage import NotPersonal, PersonalTable, undeclared

SERVICES = ("accounts", "appointments", "verification", "notifications")


def _tables(service: str) -> dict[str, list[str]]:
    assert {outbox.outbox_table.name, inbox.inbox_table.name} <= set(messaging_metadata.tables)
    metadata = importlib.import_module(f"services.{service}.models").metadata
    tables = {**metadata.tables, **messaging_metadata.tables}
    return {name: [column.name for column in table.columns] for name, table in tables.items()}


@pytest.mark.parametrize("service", SERVICES)
def test_every_table_and_column_is_exported_or_withheld_with_a_reason(service: str):
    coverage = importlib.import_module(f"services.{service}.export.rules").COVERAGE
    problems = undeclared(_tables(service), coverage)
    assert not problems, (
        f"services/{service}/export/rules.py does not say whether the export carries these (add each to "
        f"`exported` or to `withheld` with a reason): {problems}"
    )
    for table, declared in coverage.items():
        if isinstance(declared, PersonalTable):
            reasons = [*declared.withheld.values(), *declared.own_rows_only.values()]
        else:
            reasons = [declared.reason]
        assert all(len(reason) > 20 for reason in reasons), f"{service}.{table}: say why, in a sentence"


def test_the_checker_finds_a_column_left_out():
    coverage = {
        "people": PersonalTable(owner="id", exported=("id", "name"), withheld={"secret": "a secret, never given"}),
        "rooms": NotPersonal("rooms of a clinic, no people in them"),
    }
    assert undeclared({"people": ["id", "name", "secret"], "rooms": ["id"]}, coverage) == []
    assert undeclared({"people": ["id", "name", "secret", "new"], "rooms": ["id"]}, coverage) == ["people.new"]
    assert undeclared({"people": ["id", "name", "secret"], "rooms": ["id"], "desks": ["id"]}, coverage) == ["desks"]
    assert undeclared({"people": ["id", "secret"], "rooms": []}, coverage) == ["people.name (declared, no such column)"]


def test_a_column_exported_on_own_rows_only_must_be_exported_from_a_table_with_an_owner():
    why = "the booker's contact, on the account's own rows only"
    people = PersonalTable(owner="account_id", exported=("id", "account_id", "email"), own_rows_only={"email": why})
    assert undeclared({"people": ["id", "account_id", "email"]}, {"people": people}) == []
    hidden = PersonalTable(owner="account_id", exported=("id", "account_id"), withheld={"email": why})
    hidden = PersonalTable(hidden.owner, hidden.exported, hidden.withheld, own_rows_only={"email": why})
    assert undeclared({"people": ["id", "account_id", "email"]}, {"people": hidden}) == [
        "people.email (own rows only, not exported)"
    ]
    ownerless = PersonalTable(owner=None, exported=("id", "email"), own_rows_only={"email": why})
    assert undeclared({"people": ["id", "email"]}, {"people": ownerless}) == [
        "people (own rows only, no owner to tell them)"
    ]


def test_the_appointments_booker_contact_is_exported_on_own_rows_only():
    """The contact of whoever booked is another adult's on a shared child's booking made by the other parent and on
    a booking without an account matched to the person: declared so, and blanked by the rule the export applies."""
    from services.appointments.export.rules import BOOKER_CONTACT, COVERAGE, booked_by_someone_else

    contact = {"email", "phone", "holder_name", "notify_email", "notify_sms"}
    for table in ("appointments", "waitlist_entries"):
        declared = COVERAGE[table]
        assert isinstance(declared, PersonalTable)
        assert set(declared.own_rows_only) == contact
        assert "booked_by_staff_id" not in declared.exported
    assert set(BOOKER_CONTACT) == contact
    mine, linked, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    group = frozenset({mine, linked})
    assert not booked_by_someone_else(mine, group)
    assert not booked_by_someone_else(linked, group)
    assert booked_by_someone_else(other, group)
    assert booked_by_someone_else(None, group)
