"""Decoy challenges, so that resending the code of one answers as for a real pending change (issue 18,
finding 4).

Revision ID: 0007
"""

from alembic import op

from services.accounts.models import metadata

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    metadata.tables["decoy_challenges"].create(op.get_bind())


def downgrade() -> None:
    op.drop_table("decoy_challenges")
