"""The waiting room's admitted tickets: a ticket mints its admission once (again only within a short grace, for
an answer lost on the way), so a ticket whose turn came is not a bearer pass for its whole life.

One row per admitted ticket, deleted once the ticket's lifetime is over (it could not be presented again).

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "waiting_room_admissions",
        sa.Column("ticket", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("waiting_room_admissions_admitted_at", "waiting_room_admissions", ["admitted_at"])


def downgrade() -> None:
    op.drop_table("waiting_room_admissions")
