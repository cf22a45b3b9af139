"""Validated dependants, to link the same child across parents' accounts.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


# Frozen as this revision creates the table, not read from models.py.
def upgrade() -> None:
    op.create_table(
        "validated_dependants",
        sa.Column("person_id", sa.Uuid, primary_key=True),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("nam_hmac", sa.Text, nullable=False),
    )
    op.create_index("ix_validated_dependants_nam_hmac", "validated_dependants", ["nam_hmac"])


def downgrade() -> None:
    op.drop_table("validated_dependants")
