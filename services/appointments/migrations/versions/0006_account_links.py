"""Read model of NAM-linked account groups, fed by accounts' AccountsLinked.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


# Frozen as this revision creates the table, not read from models.py.
def upgrade() -> None:
    op.create_table(
        "account_links",
        sa.Column("account_id", sa.Uuid, primary_key=True),
        sa.Column("group_id", sa.Uuid, nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_account_links_group_id", "account_links", ["group_id"])


def downgrade() -> None:
    op.drop_table("account_links")
