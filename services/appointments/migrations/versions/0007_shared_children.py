"""Children shared between parents' accounts.

Revision ID: 0007
"""

from alembic import op

from services.appointments.models import metadata

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    metadata.tables["dependant_links"].create(op.get_bind())


def downgrade() -> None:
    op.drop_table("dependant_links")
