"""The citizen's export ("my data", Québec Law 25): every table of every service is declared in that service's
export feature, column by column when it holds data about people (exported, or withheld with a reason), or as a
whole with the reason it is nobody's personal data. A new table or column that nobody decided about fails here."""

import importlib

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
        reasons = declared.withheld.values() if isinstance(declared, PersonalTable) else [declared.reason]
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
