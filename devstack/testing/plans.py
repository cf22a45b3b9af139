"""The plan PostgreSQL keeps for a statement prepared while its table was small, once the table has grown.

A driver like asyncpg prepares each statement once per connection, and after a few runs PostgreSQL keeps a generic
plan, made with the statistics of that moment, until something (an ANALYZE) invalidates it. Made on a small table,
such a plan can read the whole table on every run as the table grows.
"""

import asyncpg


async def prepare_generic(connection: asyncpg.Connection, statements: dict[str, str]) -> None:
    """Prepares each {name: sql} on this connection to keep its generic plan from its first run on."""
    await connection.execute("SET plan_cache_mode = force_generic_plan")
    for name, sql in statements.items():
        await connection.execute(f"PREPARE {name} AS {sql}")


async def kept_plan(connection: asyncpg.Connection, name: str, arguments: str) -> str:
    """The plan the prepared statement `name` runs with these arguments (as SQL), as EXPLAIN prints it."""
    rows = await connection.fetch(f"EXPLAIN EXECUTE {name}({arguments})")
    return "\n".join(row[0] for row in rows)
