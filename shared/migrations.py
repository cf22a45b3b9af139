"""Alembic glue shared by every service: the env.py body, messaging tables, programmatic upgrade.

The DDL here is frozen: it creates the messaging tables as every service's first revision created them, with
literal columns, and must not read `shared.outbox.outbox_table` or `shared.inbox.inbox_table`. A column added
to those tables later is a new revision in each service, never an edit here (a fresh database and one migrated
long ago would otherwise differ). The migration tests compare head with the live tables.
"""

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import messaging_metadata

# As the first revisions created them; the relay is now woken in process (shared/outbox.py says why), so the
# `*_outbox_wake_in_process` revisions drop them again.
NOTIFY_TRIGGER_SQL = (
    """
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END $$;
""",
    """
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
""",
)
DROP_NOTIFY_TRIGGER_SQL = (
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    "DROP FUNCTION IF EXISTS outbox_notify()",
)


def upgrade(service_dir: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(_config(service_dir, database_url), revision)


def downgrade(service_dir: Path, database_url: str, revision: str) -> None:
    command.downgrade(_config(service_dir, database_url), revision)


def _config(service_dir: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(service_dir / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def run_env(service_metadata: MetaData) -> None:
    """The whole body of a service's migrations/env.py (online mode, asyncpg)."""
    # Imported for their side effect: they put the live outbox and inbox tables into messaging_metadata, which
    # autogenerate compares with the database. The revisions' DDL never reads them.
    import shared.inbox
    import shared.outbox  # noqa: F401

    target = [service_metadata, messaging_metadata]
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set: migrate with shared.migrations.upgrade()")

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool, hide_parameters=True)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())


def create_messaging_tables() -> None:
    """Called from each service's first migration: outbox (with its NOTIFY trigger) and inbox."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("routing_key", sa.Text, nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("correlation_id", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("outbox_unpublished", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL"))
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    create_outbox_notify_trigger()


def drop_messaging_tables() -> None:
    """Undoes create_messaging_tables, with the trigger's function if a downgrade recreated it."""
    op.drop_table("inbox")
    op.drop_table("outbox")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")


def create_outbox_notify_trigger() -> None:
    for statement in NOTIFY_TRIGGER_SQL:
        op.execute(statement)


def drop_outbox_notify_trigger() -> None:
    """The relay is now woken in process by the unit of work (shared/outbox.py says why)."""
    for statement in DROP_NOTIFY_TRIGGER_SQL:
        op.execute(statement)
