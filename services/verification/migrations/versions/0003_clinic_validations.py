"""Clinic identity and association validations, and the append-only audit log.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"

# Enforced by the database, so neither a bug nor the service's own role can rewrite history.
# TRUNCATE stays possible for the owner (test resets, a deliberate operator action), not for the app.
REFUSE_CHANGES = """
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""
TRIGGER = """
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()
"""


def upgrade() -> None:
    op.create_table(
        "identity_validations",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("establishment_id", sa.Uuid, nullable=False),
        sa.Column("staff_id", sa.Uuid, nullable=False),
        sa.Column("fingerprint", sa.Text),
        sa.Column("nam_hmac", sa.Text),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invalidated_at", sa.DateTime(timezone=True)),
        sa.Column("invalidation_reason", sa.Text),
    )
    op.create_index("identity_validations_by_account", "identity_validations", ["account_id", "validated_at"])
    op.create_index("identity_validations_by_nam", "identity_validations", ["nam_hmac"])
    op.create_table(
        "association_validations",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("person_id", sa.Uuid, nullable=False),
        sa.Column("establishment_id", sa.Uuid, nullable=False),
        sa.Column("staff_id", sa.Uuid, nullable=False),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoke_reason", sa.Text),
    )
    op.create_index("association_validations_by_account", "association_validations", ["account_id", "person_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("establishment_id", sa.Uuid),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("account_id", sa.Uuid),
        sa.Column("person_id", sa.Uuid),
        sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.create_index("audit_log_by_establishment", "audit_log", ["establishment_id", "id"])
    op.execute(REFUSE_CHANGES)
    op.execute(TRIGGER)


def downgrade() -> None:
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION audit_log_is_append_only()")
    op.drop_table("association_validations")
    op.drop_table("identity_validations")
