"""Every service's migrations, on real PostgreSQL: frozen DDL that builds what models.py describes.

Each test migrates a scratch database of its own (created on the CLINIC_PG_URL server, dropped at the end), so
the revisions are exercised from an empty database, as on a fresh install, whatever the session's databases hold.
"""

import ast
import asyncio
import importlib
import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, MetaData
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import shared.inbox
import shared.outbox
from shared.migrations import downgrade, upgrade

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("accounts", "appointments", "verification", "notifications")
MESSAGING = (shared.outbox.outbox_table, shared.inbox.inbox_table)

# What a revision created that models.py does not describe: nothing. Each service's models are the whole
# schema, so any entry here would be debt, listed so it could not grow unseen.
UNMODELLED: dict[str, frozenset[str]] = {}
UNDESCRIBED_INDEXES: dict[str, frozenset[str]] = {}
# Autogenerate leaves CHECK and EXCLUDE constraints out, so they are compared by name.
UNDESCRIBED_CONSTRAINTS: dict[str, frozenset[str]] = {}


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _admin(admin_url: str, statement: str) -> None:
    conn = await asyncpg.connect(_plain(admin_url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def scratch_url(pg_admin_url: str) -> Iterator[str]:
    """An empty database of this test's own, dropped afterwards."""
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(pg_admin_url, f'CREATE DATABASE "{name}"'))
    try:
        base = _plain(pg_admin_url).rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _service_dir(service: str) -> Path:
    return ROOT / "services" / service


def _revisions(service: str) -> list[str]:
    """From the first revision to head, in order; the chain has no branch."""
    config = Config()
    config.set_main_option("script_location", str(_service_dir(service) / "migrations"))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, f"{service}: one head expected, found {script.get_heads()}"
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def _differences(service: str, url: str) -> list[Any]:
    """What Alembic's autogenerate would change to bring the database to the models (none when they agree)."""
    metadata: MetaData = importlib.import_module(f"services.{service}.models").metadata
    unmodelled = UNMODELLED.get(service, frozenset())
    undescribed_indexes = UNDESCRIBED_INDEXES.get(service, frozenset())

    def described(obj: Any, name: str | None, kind: str, reflected: bool, _compared: Any) -> bool:
        if kind == "index" and reflected and name in undescribed_indexes:
            return False
        table = obj if kind == "table" else getattr(obj, "table", None)
        return (table.name if table is not None else name) not in unmodelled

    def compare(connection: Connection) -> list[Any]:
        options = {"include_object": described, "compare_type": True, "compare_server_default": True}
        context = MigrationContext.configure(connection, opts=options)
        # Alembic compares a sequence of MetaData too, though its annotation names one.
        return list(compare_metadata(context, [metadata, MESSAGING[0].metadata]))  # type: ignore[arg-type]

    async def run() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def _state(url: str) -> tuple[list[str], list[str]]:
    """The public tables other than alembic_version, and the revision alembic_version records."""
    conn = await asyncpg.connect(_plain(url))
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        ]
        versions = (
            [r["version_num"] for r in await conn.fetch("SELECT version_num FROM alembic_version")]
            if "alembic_version" in tables
            else []
        )
        return [t for t in tables if t != "alembic_version"], versions
    finally:
        await conn.close()


@pytest.mark.parametrize("service", SERVICES)
def test_an_empty_database_migrated_to_head_is_what_the_models_describe(service: str, scratch_url: str) -> None:
    upgrade(_service_dir(service), scratch_url)

    assert _differences(service, scratch_url) == []


async def _check_and_exclusion_constraints(url: str) -> set[tuple[str, str]]:
    conn = await asyncpg.connect(_plain(url))
    try:
        rows = await conn.fetch(
            "SELECT conrelid::regclass::text AS table_name, conname FROM pg_constraint "
            "WHERE contype IN ('c', 'x') AND connamespace = 'public'::regnamespace"
        )
        return {(r["table_name"], r["conname"]) for r in rows}
    finally:
        await conn.close()


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrated_check_and_exclusion_constraints_are_those_the_models_name(service: str, scratch_url: str) -> None:
    metadata: MetaData = importlib.import_module(f"services.{service}.models").metadata
    modelled = {
        (table.name, str(constraint.name))
        for table in metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint | ExcludeConstraint)
    }
    upgrade(_service_dir(service), scratch_url)

    migrated = asyncio.run(_check_and_exclusion_constraints(scratch_url))

    undescribed = UNDESCRIBED_CONSTRAINTS.get(service, frozenset())
    assert {(table, name) for table, name in migrated if name not in undescribed} == modelled


@pytest.mark.parametrize("service", SERVICES)
def test_the_revisions_apply_one_at_a_time_and_undo_back_to_an_empty_database(service: str, scratch_url: str) -> None:
    revisions = _revisions(service)

    for revision in revisions:
        upgrade(_service_dir(service), scratch_url, revision)
        assert asyncio.run(_state(scratch_url))[1] == [revision]

    for previous in [*reversed(revisions[:-1]), "base"]:
        downgrade(_service_dir(service), scratch_url, "-1")
        assert asyncio.run(_state(scratch_url))[1] == ([] if previous == "base" else [previous])
    assert asyncio.run(_state(scratch_url)) == ([], [])

    upgrade(_service_dir(service), scratch_url)
    assert _differences(service, scratch_url) == []


# What the DDL of a revision may not read: today's tables, whose later columns would reach fresh databases only.
LIVE_SCHEMA_IMPORT = re.compile(r"^(services(\.|$)|shared\.(outbox|inbox|db)$)")
LIVE_SCHEMA_USE = re.compile(r"\bmetadata\b|\.tables\[|\b(outbox|inbox)_table\b|\.create\(\s*(op\.)?(get_)?bind")


def _imported_modules(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
    return modules


def _revision_files() -> list[Path]:
    return sorted(ROOT.glob("services/*/migrations/versions/*.py"))


def test_every_service_has_revisions() -> None:
    assert {path.parts[-4] for path in _revision_files()} == set(SERVICES)


@pytest.mark.parametrize("path", _revision_files(), ids=lambda path: "/".join(path.parts[-4:]))
def test_a_revision_builds_its_tables_from_literal_ddl_not_from_the_models(path: Path) -> None:
    source = path.read_text()

    assert [m for m in _imported_modules(path) if LIVE_SCHEMA_IMPORT.match(m)] == []
    assert [m.group(0) for m in LIVE_SCHEMA_USE.finditer(source)] == []


def test_the_messaging_tables_ddl_is_literal_too() -> None:
    path = ROOT / "shared" / "migrations.py"
    tree = ast.parse(path.read_text())
    ddl = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "create_messaging_tables")

    assert [m for m in _imported_modules(path) if m in {"shared.outbox", "shared.inbox"}] == [
        "shared.inbox",
        "shared.outbox",
    ], "only run_env imports them, for autogenerate"
    assert [m.group(0) for m in LIVE_SCHEMA_USE.finditer(ast.unparse(ddl))] == []


async def _gateway_room(url: str) -> tuple[list[tuple[Any, ...]], list[str]]:
    """The waiting room's rows and the database's sequences."""
    conn = await asyncpg.connect(_plain(url))
    try:
        rows = [tuple(r) for r in await conn.fetch("SELECT id, opened_by_operator, admitted_up_to FROM waiting_room")]
        sequences = [r["relname"] for r in await conn.fetch("SELECT relname FROM pg_class WHERE relkind = 'S'")]
        return rows, sequences
    finally:
        await conn.close()


def test_the_gateways_revisions_apply_and_undo_back_to_an_empty_database(scratch_url: str) -> None:
    """The gateway's own database (the waiting room): no models to compare; its sequence and its one row."""
    gateway = ROOT / "gateway"
    upgrade(gateway, scratch_url)
    assert asyncio.run(_state(scratch_url)) == (["waiting_room", "waiting_room_admissions"], ["0002"])
    assert asyncio.run(_gateway_room(scratch_url)) == ([(1, False, 0)], ["waiting_room_tickets"])
    downgrade(gateway, scratch_url, "base")
    assert asyncio.run(_state(scratch_url)) == ([], [])
    upgrade(gateway, scratch_url)
    assert asyncio.run(_gateway_room(scratch_url)) == ([(1, False, 0)], ["waiting_room_tickets"])


async def _waitlist_before_0018(url: str) -> dict[str, uuid.UUID]:
    """Entries as 0017 left them: two live ones without an account at one e-mail spelt two ways, one ended."""
    conn = await asyncpg.connect(_plain(url))
    ids = {name: uuid.uuid4() for name in ("establishment", "service", "first", "second", "ended", "mine")}
    try:
        await conn.execute(
            "INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude) "
            "VALUES ($1, 'CLSC', '1 rue', 'Laval', 'H7N 1A1', 45.6, -73.7)",
            ids["establishment"],
        )
        await conn.execute(
            "INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes) "
            "VALUES ($1, $2, 'Vaccin', 'Vaccine', 15)",
            ids["service"],
            ids["establishment"],
        )
        for name, account, email, status, joined in (
            ("first", None, "Alice+1@Example.org", "waiting", "2030-01-01"),
            ("second", None, "alice+2@example.org", "offered", "2030-01-02"),
            ("ended", None, "alice@example.org", "ended", "2029-12-01"),
            ("mine", uuid.uuid4(), "alice@example.org", "waiting", "2030-01-03"),
        ):
            await conn.execute(
                "INSERT INTO waitlist_entries (id, service_id, account_id, person_key, first_name, last_name, email, "
                "phone, language, notify_email, notify_sms, from_date, to_date, times_of_day, status, joined_at) "
                "VALUES ($1, $2, $3, $4, 'A', 'B', $5, '+15145550101', 'fr', true, false, '2030-01-01', "
                "'2030-01-30', '{morning}', $6, $7::date)",
                ids[name],
                ids["service"],
                account,
                f"key:{name}",
                email,
                status,
                date.fromisoformat(joined),
            )
    finally:
        await conn.close()
    return ids


async def _waitlist_keys(url: str) -> dict[uuid.UUID, tuple[Any, ...]]:
    conn = await asyncpg.connect(_plain(url))
    try:
        rows = await conn.fetch("SELECT id, email_key, phone_key, ended_reason FROM waitlist_entries")
    finally:
        await conn.close()
    return {row["id"]: (row["email_key"], row["phone_key"], row["ended_reason"]) for row in rows}


def test_appointments_0018_keys_the_destinations_of_entries_already_waiting(scratch_url: str) -> None:
    """Entries live before the one-per-destination rule keep waiting; only the first of a destination holds it (the
    unique index could not be built otherwise); an entry already ended ended by its dates."""
    upgrade(_service_dir("appointments"), scratch_url, "0017")
    ids = asyncio.run(_waitlist_before_0018(scratch_url))

    upgrade(_service_dir("appointments"), scratch_url, "0018")

    keys = asyncio.run(_waitlist_keys(scratch_url))
    assert keys[ids["first"]] == ("alice@example.org", "+15145550101", None)
    assert keys[ids["second"]] == (None, None, None)  # the same destination, later: not keyed
    assert keys[ids["ended"]] == ("alice@example.org", "+15145550101", "dates_passed")  # not live: no conflict
    assert keys[ids["mine"]] == (None, None, None)  # joined from an account: a person, not a destination
