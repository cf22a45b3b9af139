"""History after authentication: identity key (NAM + birth date, keyed) of bookings made without an account,
validated people's keys.

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

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
    # Frozen as this revision creates the table, not read from models.py.
    op.create_table(
        "validated_people",
        sa.Column("account_id", sa.Uuid, primary_key=True),
        sa.Column("person_id", sa.Uuid, primary_key=True),
        sa.Column("identity_key", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("validated_people")
    op.drop_index("appointments_without_account_by_identity", table_name="appointments")
    op.drop_column("appointments", "identity_key")
