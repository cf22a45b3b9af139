"""What each service's part of a citizen's export ("my data", Québec Law 25's portability) says of its tables.

Every service declares, for every table of its models' metadata (and the outbox and inbox every service has),
either which columns the export carries and which it withholds with a reason, or why the whole table is none
of the person's data. tests/test_export_coverage.py walks the metadata and fails on any table or column
declared nowhere: a column added without deciding is a failure, never a silent omission.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PersonalTable:
    """A table with rows about people: `owner` is the column naming the account a row belongs to (the end-to-end
    test reads the account's rows through it; None for a table reached only through another one), `exported` the
    columns whose values the export carries.

    `own_rows_only` names exported columns that describe whoever made a row rather than the person it is about (the
    booker's contact): the export carries them on the rows `owner` says are the account's own or those of an account
    linked with it by the NAM (the same citizen), and null on every other row it shows (a shared child's booking
    made by the other parent, a booking made without an account and matched to the person), with the reason."""

    owner: str | None
    exported: tuple[str, ...]
    withheld: Mapping[str, str] = field(default_factory=dict)  # column -> why it is left out
    own_rows_only: Mapping[str, str] = field(default_factory=dict)  # exported column -> why others' rows omit it


@dataclass(frozen=True)
class NotPersonal:
    """A whole table left out: what it holds, and why none of it is the person's data to take away."""

    reason: str


TableCoverage = PersonalTable | NotPersonal
Coverage = Mapping[str, TableCoverage]

# Reasons, worded once.
CREDENTIAL = "a secret or its digest: useless to the person and dangerous in a file that travels"
KEYED_DIGEST = "a keyed digest used to match records; it reveals nothing but could be used to link them"
TECHNICAL = "technical bookkeeping of the platform, not information about the person"
STAFF_NOT_NAMED = "which clinic staff member acted: staff are shown by role, never by name or id"
NAM_MASKED = "the NAM, sealed: the export shows it masked (last four characters) as the account page does"
NOT_ABOUT_PERSONS = "describes clinics, services or times, not people (named in the appointments exported)"


def copy_of(where: str) -> str:
    return f"a read model copied from {where}, whose own export carries it"


# Every service's messaging tables (shared/outbox.py, shared/inbox.py).
MESSAGING: Coverage = {
    "outbox": NotPersonal("events waiting to be published; their bodies are blanked once sent (" + TECHNICAL + ")"),
    "inbox": NotPersonal("ids of events already applied (" + TECHNICAL + ")"),
}


def undeclared(tables: Mapping[str, Iterable[str]], coverage: Coverage) -> list[str]:
    """`table` or `table.column` for every table or column of `tables` (name -> its columns) the coverage does
    not declare, and every column declared both exported and withheld, or declared but absent; a column exported on
    own rows only must be exported, of a table with an owner."""
    problems: list[str] = []
    for table, columns in tables.items():
        declared = coverage.get(table)
        if declared is None:
            problems.append(table)
            continue
        if isinstance(declared, NotPersonal):
            continue
        names = set(columns)
        exported, withheld = set(declared.exported), set(declared.withheld)
        problems += [f"{table}.{c} (exported and withheld)" for c in sorted(exported & withheld)]
        problems += [f"{table}.{c}" for c in sorted(names - exported - withheld)]
        problems += [f"{table}.{c} (declared, no such column)" for c in sorted((exported | withheld) - names)]
        if declared.owner is not None and declared.owner not in names:
            problems.append(f"{table}.{declared.owner} (owner, no such column)")
        own_only = set(declared.own_rows_only)
        problems += [f"{table}.{c} (own rows only, not exported)" for c in sorted(own_only - exported)]
        if own_only and declared.owner is None:
            problems.append(f"{table} (own rows only, no owner to tell them)")
    problems += [f"{table} (declared, no such table)" for table in sorted(set(coverage) - set(tables))]
    return problems
