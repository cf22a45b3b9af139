"""When a chain of codes ran out of wrong tries (issue 22, item 5): "send a new code" opens a fresh chain only a
cooldown after the last wrong try, instead of sending a code that the spent chain refuses.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.add_column("challenge_budgets", sa.Column("locked_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("challenge_budgets", "locked_at")
