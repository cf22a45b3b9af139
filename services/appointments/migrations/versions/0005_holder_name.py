"""The account holder's name in the booking snapshot: the clinic's association window names them.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.add_column("appointments", sa.Column("holder_name", sa.Text))


def downgrade() -> None:
    op.drop_column("appointments", "holder_name")
