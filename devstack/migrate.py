"""Brings services' databases to the latest Alembic revision: the containers' one-shot migrate job.

    python -m devstack.migrate appointments [verification ...] [--create-database]

Each service's database URL comes from <SERVICE>_DATABASE_URL, the variable the service itself reads
(e.g. APPOINTMENTS_DATABASE_URL=postgresql+asyncpg://user:pass@host:5432/appointments).
With --create-database the database is first created when missing, through the server's maintenance
database (`postgres`). Exits non-zero when a variable is missing or a migration fails.
"""

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Mapping, Sequence

import asyncpg
from sqlalchemy.engine import make_url

from devstack.databases import GATEWAY, ROOT, SERVICES
from shared.migrations import upgrade

# Postgres not accepting connections yet (starting up, or the address does not answer).
_NOT_YET = (OSError, asyncio.TimeoutError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError)


def env_var(service: str) -> str:
    return f"{service.upper()}_DATABASE_URL"


def database_urls(services: Sequence[str], environ: Mapping[str, str]) -> dict[str, str]:
    """service -> SQLAlchemy URL, read from the environment; SystemExit naming every missing variable."""
    missing = [env_var(service) for service in services if not environ.get(env_var(service))]
    if missing:
        raise SystemExit(f"migrate: set {', '.join(missing)}")
    return {service: environ[env_var(service)] for service in services}


def maintenance_dsn(url: str, admin_database: str) -> tuple[str, str]:
    """(asyncpg DSN of the maintenance database on the same server, name of the database `url` names)."""
    parsed = make_url(url)
    if not parsed.database:
        raise SystemExit(f"migrate: the URL {parsed!r} names no database")
    admin = parsed.set(drivername="postgresql", database=admin_database)
    return admin.render_as_string(hide_password=False), parsed.database


async def create_database(url: str, admin_database: str = "postgres") -> bool:
    """Creates the database `url` names unless it exists. True when it was created."""
    dsn, name = maintenance_dsn(url, admin_database)
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        quoted = name.replace('"', '""')
        try:
            await conn.execute(f'CREATE DATABASE "{quoted}"')
        except asyncpg.DuplicateDatabaseError:  # another job created it between the check and here
            return False
        return True
    finally:
        await conn.close()


def create_database_when_up(url: str, admin_database: str, wait_seconds: float) -> bool:
    """create_database(), retrying while the server does not accept connections yet."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return asyncio.run(create_database(url, admin_database))
        except _NOT_YET as exc:
            if time.monotonic() >= deadline:
                raise SystemExit(f"migrate: no answer from the database server in {wait_seconds:g}s: {exc}") from exc
            time.sleep(1.0)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.migrate",
        description="Migrates each named service's database (URL from <SERVICE>_DATABASE_URL) to head.",
    )
    parser.add_argument(
        "services",
        nargs="+",
        choices=(*SERVICES, GATEWAY),
        metavar="service",
        help=f"one or more of: {', '.join((*SERVICES, GATEWAY))} (the gateway's own database)",
    )
    parser.add_argument(
        "--create-database", action="store_true", help="create the database first when it does not exist"
    )
    parser.add_argument(
        "--admin-database", default="postgres", help="database to connect to when creating one (default: postgres)"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="with --create-database: how long to wait for the server to accept connections",
    )
    parser.add_argument("--revision", default="head", help="target Alembic revision (default: head)")
    args = parser.parse_args(argv)

    urls = database_urls(list(dict.fromkeys(args.services)), os.environ if environ is None else environ)
    for service, url in urls.items():
        if args.create_database and create_database_when_up(url, args.admin_database, args.wait):
            print(f"migrate: created database {make_url(url).database}", flush=True)
        upgrade(ROOT / "gateway" if service == GATEWAY else ROOT / "services" / service, url, args.revision)
        print(f"migrate: {service} at {args.revision}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
