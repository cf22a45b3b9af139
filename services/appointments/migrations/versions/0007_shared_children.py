"""Children shared between parents' accounts.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


# Frozen as this revision creates the table, not read from models.py.
def upgrade() -> None:
    op.create_table(
        "dependant_links",
        sa.Column("person_id", sa.Uuid, primary_key=True),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("group_id", sa.Uuid, nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_dependant_links_account_id", "dependant_links", ["account_id"])
    op.create_index("ix_dependant_links_group_id", "dependant_links", ["group_id"])


def downgrade() -> None:
    op.drop_table("dependant_links")
