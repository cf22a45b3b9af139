"""Catalogue, slots, appointments, and the messaging tables.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "establishments",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("city", sa.Text, nullable=False),
        sa.Column("postal_code", sa.Text, nullable=False),
        sa.Column("latitude", sa.Float, nullable=False),
        sa.Column("longitude", sa.Float, nullable=False),
        sa.Column("timezone", sa.Text, nullable=False, server_default="America/Montreal"),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("establishment_id", sa.Uuid, sa.ForeignKey("establishments.id"), nullable=False, index=True),
        sa.Column("name_fr", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
    )
    op.create_table(
        "slots",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("service_id", sa.Uuid, sa.ForeignKey("services.id"), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("booked", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="slots_booked_within_capacity"),
    )
    op.create_index("slots_by_service_time", "slots", ["service_id", "starts_at"])
    op.create_table(
        "appointments",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("slot_id", sa.Uuid, sa.ForeignKey("slots.id"), nullable=False, index=True),
        sa.Column("account_id", sa.Uuid, index=True),
        sa.Column("status", sa.Text, nullable=False, server_default="booked"),
        sa.Column("first_name", sa.Text, nullable=False),
        sa.Column("last_name", sa.Text, nullable=False),
        sa.Column("email", sa.Text),
        sa.Column("phone", sa.Text),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("manage_token_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
    )
    create_messaging_tables()


def downgrade() -> None:
    drop_messaging_tables()
    for table in ("appointments", "slots", "services", "establishments"):
        op.drop_table(table)
