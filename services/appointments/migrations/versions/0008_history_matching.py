"""History after authentication: identity key (NAM + birth date, keyed) of bookings made without an account,
validated people's keys.

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

from services.appointments.models import metadata

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.add_column("appointments", sa.Column("identity_key", sa.Text))
    op.create_index(
        "appointments_without_account_by_identity",
        "appointments",
        ["identity_key"],
        postgresql_where=sa.text("account_id IS NULL AND identity_key IS NOT NULL"),
    )
    metadata.tables["validated_people"].create(op.get_bind())


def downgrade() -> None:
    op.drop_table("validated_people")
    op.drop_index("appointments_without_account_by_identity", table_name="appointments")
    op.drop_column("appointments", "identity_key")
