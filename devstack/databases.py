"""Creates each service's database and brings it to the latest migration."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg

from shared.migrations import upgrade

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("accounts", "appointments", "verification", "notifications")
# The gateway's own database (the waiting room's shared state): never a service's.
GATEWAY = "gateway"


def database_url(admin_url: str, name: str) -> str:
    """The SQLAlchemy asyncpg URL of database `name` on the server `admin_url` points at."""
    base = admin_url.replace("postgresql+asyncpg://", "postgresql://", 1).rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"


async def _create(admin_url: str, names: list[str], drop_first: bool) -> None:
    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if drop_first and name in existing:
                await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                existing.discard(name)
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def prepare_databases(admin_url: str, prefix: str = "", drop_first: bool = False) -> dict[str, str]:
    """Creates (or recreates) the four databases and migrates them. Returns service -> URL."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _prepare(admin_url, prefix, drop_first)
    # Called under a running loop (Playwright's sync API keeps one in a test session): asyncio.run and
    # Alembic's async migrations need a thread of their own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_prepare, admin_url, prefix, drop_first).result()


def _prepare(admin_url: str, prefix: str, drop_first: bool) -> dict[str, str]:
    names = {service: f"{prefix}{service}" for service in SERVICES}
    asyncio.run(_create(admin_url, list(names.values()), drop_first))
    urls = {service: database_url(admin_url, name) for service, name in names.items()}
    for service, url in urls.items():
        upgrade(ROOT / "services" / service, url)
    return urls


def prepare_gateway_database(admin_url: str, prefix: str = "", drop_first: bool = False) -> str:
    """Creates (or recreates) the gateway's database and migrates it. Returns its URL."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _prepare_gateway(admin_url, prefix, drop_first)
    with ThreadPoolExecutor(max_workers=1) as pool:  # as prepare_databases: a loop may be running
        return pool.submit(_prepare_gateway, admin_url, prefix, drop_first).result()


def _prepare_gateway(admin_url: str, prefix: str, drop_first: bool) -> str:
    name = f"{prefix}{GATEWAY}"
    asyncio.run(_create(admin_url, [name], drop_first))
    url = database_url(admin_url, name)
    upgrade(ROOT / "gateway", url)
    return url
