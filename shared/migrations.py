"""Alembic glue shared by every service: the env.py body, messaging tables, programmatic upgrade."""

import asyncio
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import messaging_metadata
from shared.inbox import inbox_table
from shared.outbox import DROP_NOTIFY_TRIGGER_SQL, NOTIFY_TRIGGER_SQL, outbox_table


def upgrade(service_dir: Path, database_url: str, revision: str = "head") -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(service_dir / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(cfg, revision)


def run_env(service_metadata: MetaData) -> None:
    """The whole body of a service's migrations/env.py (online mode, asyncpg)."""
    target = [service_metadata, messaging_metadata]
    url = context.config.get_main_option("sqlalchemy.url")

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
    bind = op.get_bind()
    outbox_table.create(bind)
    inbox_table.create(bind)
    create_outbox_notify_trigger()


def create_outbox_notify_trigger() -> None:
    for statement in NOTIFY_TRIGGER_SQL:
        op.execute(statement)


def drop_outbox_notify_trigger() -> None:
    """The relay is now woken in process by the unit of work (shared/outbox.py says why)."""
    for statement in DROP_NOTIFY_TRIGGER_SQL:
        op.execute(statement)
