"""The migrations are frozen DDL and models.py is the schema's one description: a database built by the migrations
has every table, column and index the models describe, of the same type and nullability."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from services.appointments.models import metadata
from shared.db import make_engine, messaging_metadata

# Tables only raw SQL touches, which models.py does not describe (booking/queries.py holds its own statements).
UNMODELLED = frozenset({"booking_sources"})


def _differences(connection: Connection) -> list[Any]:
    def described(obj: Any, name: str | None, kind: str, reflected: bool, _compared: Any) -> bool:
        table = obj if kind == "table" else getattr(obj, "table", None)
        return (table.name if table is not None else name) not in UNMODELLED

    context = MigrationContext.configure(connection, opts={"include_object": described, "compare_type": True})
    return list(compare_metadata(context, [metadata, messaging_metadata]))


async def test_the_migrated_schema_is_what_the_models_describe(database_urls):
    engine = make_engine(database_urls["appointments"])
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()

    assert differences == []
