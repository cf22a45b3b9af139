"""Citizens' requests that a clinic associate a patient with their account.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "association_requests",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("person_id", sa.Uuid, nullable=False),
        sa.Column("establishment_id", sa.Uuid, nullable=False),
        sa.Column("appointment_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("reason", sa.Text),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decided_by", sa.Uuid),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'refused', 'withdrawn')", name="association_requests_status"
        ),
    )
    # One open request per patient of an account: asking twice is the same request.
    op.create_index(
        "association_requests_one_pending",
        "association_requests",
        ["account_id", "person_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("association_requests_by_establishment", "association_requests", ["establishment_id", "status"])


def downgrade() -> None:
    op.drop_table("association_requests")
