"""Who has an appointment where: verification's read model of appointments' events, so a clinic validates
only people it has an appointment with (issue 18, finding 2). Ids only.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "clinic_patients",
        sa.Column("appointment_id", sa.Uuid, primary_key=True),
        sa.Column("establishment_id", sa.Uuid, nullable=False),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("person_id", sa.Uuid, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "clinic_patients_by_establishment", "clinic_patients", ["establishment_id", "account_id", "person_id"]
    )
    op.create_index("clinic_patients_by_account", "clinic_patients", ["account_id"])


def downgrade() -> None:
    op.drop_table("clinic_patients")
