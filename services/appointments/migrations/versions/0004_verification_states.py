"""Read model of verification states (identity and association) for the admin Suivi list.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    # Fed only by verification's events; changed_at is the occurred_at of the last event applied,
    # so an event older than what is stored (redelivered or out of order) changes nothing.
    op.create_table(
        "identity_states",
        sa.Column("account_id", sa.Uuid, primary_key=True),
        sa.Column("validated", sa.Boolean, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "association_states",
        sa.Column("account_id", sa.Uuid, primary_key=True),
        sa.Column("person_id", sa.Uuid, primary_key=True),
        sa.Column("validated", sa.Boolean, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("association_states")
    op.drop_table("identity_states")
