"""Decoy challenges, so that resending the code of one answers as for a real pending change (issue 18,
finding 4).

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


# Frozen as this revision creates it, not read from models.py: a later change to the model must not change
# what migrating a fresh database through 0007 produces.
def upgrade() -> None:
    op.create_table(
        "decoy_challenges",
        sa.Column("challenge_id", sa.Uuid, nullable=False),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("destination_encrypted", sa.Text, nullable=False),
        sa.Column("destination_hmac", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("challenge_id", name="decoy_challenges_pkey"),
    )
    op.create_index("ix_decoy_challenges_account_id", "decoy_challenges", ["account_id"])
    op.create_index("ix_decoy_challenges_destination_hmac", "decoy_challenges", ["destination_hmac"])


def downgrade() -> None:
    op.drop_table("decoy_challenges")
