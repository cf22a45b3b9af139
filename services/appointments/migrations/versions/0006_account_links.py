"""Read model of NAM-linked account groups, fed by accounts' AccountsLinked.

Revision ID: 0006
"""

from alembic import op

from services.appointments.models import metadata

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    metadata.tables["account_links"].create(op.get_bind())


def downgrade() -> None:
    op.drop_table("account_links")
