"""Validated dependants, to link the same child across parents' accounts.

Revision ID: 0004
"""

from alembic import op

from services.accounts.models import metadata

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    metadata.tables["validated_dependants"].create(op.get_bind())


def downgrade() -> None:
    op.drop_table("validated_dependants")
