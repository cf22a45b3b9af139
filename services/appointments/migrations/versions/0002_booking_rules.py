"""Booking from accounts, idempotency keys, the no-overlap rule, attendance times.

Manage tokens become an HMAC of the appointment id (recomputable for idempotent replays),
so their stored hash goes.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSTZRANGE

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.add_column("appointments", sa.Column("person_id", sa.Uuid))
    op.add_column("appointments", sa.Column("person_key", sa.Text))
    op.add_column("appointments", sa.Column("during", TSTZRANGE))
    op.execute(
        "UPDATE appointments a SET person_key = coalesce('email:' || lower(a.email), 'phone:' || a.phone), "
        "during = tstzrange(s.starts_at, s.ends_at) FROM slots s WHERE s.id = a.slot_id"
    )
    op.alter_column("appointments", "person_key", nullable=False)
    op.alter_column("appointments", "during", nullable=False)
    op.create_index("ix_appointments_person_id", "appointments", ["person_id"])
    for name, column in (
        ("birth_date", sa.Column("birth_date", sa.Date)),
        ("notify_email", sa.Column("notify_email", sa.Boolean, nullable=False, server_default=sa.text("true"))),
        ("notify_sms", sa.Column("notify_sms", sa.Boolean, nullable=False, server_default=sa.text("false"))),
        ("idempotency_key", sa.Column("idempotency_key", sa.Text)),
        ("request_fingerprint", sa.Column("request_fingerprint", sa.Text)),
        ("confirmed_at", sa.Column("confirmed_at", sa.DateTime(timezone=True))),
        ("arrived_at", sa.Column("arrived_at", sa.DateTime(timezone=True))),
        ("noshow_at", sa.Column("noshow_at", sa.DateTime(timezone=True))),
    ):
        assert name == column.name
        op.add_column("appointments", column)
    op.create_index(
        "appointments_idempotency",
        "appointments",
        ["idempotency_key"],
        unique=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    # The same patient never holds two overlapping live appointments, even under concurrent requests.
    op.execute(
        "ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist "
        "(person_key WITH =, during WITH &&) WHERE (status IN ('booked', 'arrived', 'checked-in'))"
    )
    op.drop_column("appointments", "manage_token_hash")


def downgrade() -> None:
    op.add_column("appointments", sa.Column("manage_token_hash", sa.Text, nullable=False, server_default=""))
    op.execute("ALTER TABLE appointments DROP CONSTRAINT appointments_no_overlap")
    op.drop_index("appointments_idempotency", "appointments")
    op.drop_index("ix_appointments_person_id", "appointments")
    for name in (
        "noshow_at", "arrived_at", "confirmed_at", "request_fingerprint", "idempotency_key",
        "notify_sms", "notify_email", "birth_date", "during", "person_key", "person_id",
    ):  # fmt: skip
        op.drop_column("appointments", name)
