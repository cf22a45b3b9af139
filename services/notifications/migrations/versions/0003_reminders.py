"""Reminder schedule, and the latest event applied per appointment.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("appointment_id", sa.Uuid, nullable=False),
        sa.Column("source_event_id", sa.Uuid, nullable=False),
        sa.Column("offset_minutes", sa.Integer, nullable=False),
        sa.Column("account_id", sa.Uuid),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default="pending"),
        sa.Column("destinations", JSONB, nullable=False),
        sa.Column("details", JSONB, nullable=False),
        sa.Column("manage_token", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("settled_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("source_event_id", "offset_minutes", name="reminders_once_per_event"),
    )
    op.create_index("reminders_due", "reminders", ["due_at"], postgresql_where=sa.text("state = 'pending'"))
    op.create_index("reminders_appointment", "reminders", ["appointment_id"])
    op.create_index(
        "reminders_account", "reminders", ["account_id"], postgresql_where=sa.text("account_id IS NOT NULL")
    )
    op.create_table(
        "appointment_versions",
        sa.Column("appointment_id", sa.Uuid, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("appointment_id", name="appointment_versions_pkey"),
    )


def downgrade() -> None:
    op.drop_table("appointment_versions")
    op.drop_table("reminders")
