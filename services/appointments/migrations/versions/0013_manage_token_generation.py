"""Manage-link tokens get a generation: a reschedule issues a new token and the previous one stops working.

The token stays derived (HMAC of the appointment id, and of the generation once it is past 0), so an
idempotent replay can show it again; generation 0 is the token every booking made so far was sent.

Revision ID: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.add_column("appointments", sa.Column("manage_generation", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("appointments", "manage_generation")
