"""The waiting room's shared state: the ticket sequence and the one row every gateway replica reads.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE waiting_room_tickets AS bigint START 1")
    op.create_table(
        "waiting_room",
        sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("opened_by_operator", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("admitted_up_to", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("advanced_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("id = 1", name="waiting_room_one_row"),
    )
    op.execute("INSERT INTO waiting_room (id) VALUES (1)")


def downgrade() -> None:
    op.drop_table("waiting_room")
    op.execute("DROP SEQUENCE waiting_room_tickets")
