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
    """The plan the prepared statement `name` runs with these arguments (as SQL; "" for none), as EXPLAIN prints it
    (with its JIT section when PostgreSQL would compile it)."""
    rows = await connection.fetch(f"EXPLAIN EXECUTE {name}({arguments})" if arguments else f"EXPLAIN EXECUTE {name}")
    return "\n".join(row[0] for row in rows)


async def plans_after_growth(
    dsn: str, server_settings: dict[str, str], statements: dict[str, tuple[str, str]], empty: str, fill: str
) -> dict[str, str]:
    """{name: (sql, arguments as SQL)} prepared on a connection with these settings while the table is empty (the
    `empty` statement), their generic plans made there, then the plans they keep once `fill` has grown the table."""
    connection = await asyncpg.connect(dsn, server_settings=server_settings)
    try:
        await connection.execute(empty)
        await prepare_generic(connection, {name: sql for name, (sql, _) in statements.items()})
        for name, (_, arguments) in statements.items():
            await kept_plan(connection, name, arguments)
        await connection.execute(fill)
        return {name: await kept_plan(connection, name, arguments) for name, (_, arguments) in statements.items()}
    finally:
        await connection.execute(empty)
        await connection.close()
