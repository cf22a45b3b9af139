"""NAM-linked account groups.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

TABLES = ("account_link_groups", "account_links")


# Frozen as this revision creates these tables, not read from models.py.
def upgrade() -> None:
    op.create_table(
        "account_link_groups",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "account_links",
        # A deleted account leaves its group with it.
        sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("group_id", sa.Uuid, sa.ForeignKey("account_link_groups.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_account_links_group_id", "account_links", ["group_id"])


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
