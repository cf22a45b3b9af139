"""Citizen accounts, dependants, pending changes, refresh tokens, login failures, staff users.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

TABLES = ("accounts", "dependants", "pending_changes", "refresh_tokens", "login_failures", "staff_users")


# Frozen as this revision creates these tables on a fresh database, not read from models.py: a later change to
# the model must not change what migrating through 0002 produces. refresh_tokens is without the columns 0006 adds.
def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("first_name", sa.Text, nullable=False),
        sa.Column("last_name", sa.Text, nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("sex", sa.Text, nullable=False),
        sa.Column("nam_encrypted", sa.Text),
        sa.Column("nam_hmac", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("phone", sa.Text),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("notify_email", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("notify_sms", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("address", sa.Text),
        sa.Column("city", sa.Text),
        sa.Column("postal_code", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_accounts_nam_hmac", "accounts", ["nam_hmac"])
    op.create_index(
        "accounts_email_unique",
        "accounts",
        [sa.text("lower(email)")],
        unique=True,
        postgresql_where=sa.text("email IS NOT NULL"),
    )
    op.create_index(
        "accounts_phone_unique", "accounts", ["phone"], unique=True, postgresql_where=sa.text("phone IS NOT NULL")
    )
    op.create_table(
        "dependants",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("first_name", sa.Text, nullable=False),
        sa.Column("last_name", sa.Text, nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("sex", sa.Text, nullable=False),
        sa.Column("nam_encrypted", sa.Text),
        sa.Column("nam_hmac", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_dependants_account_id", "dependants", ["account_id"])
    op.create_index("ix_dependants_nam_hmac", "dependants", ["nam_hmac"])
    op.create_table(
        "pending_changes",
        sa.Column("challenge_id", sa.Uuid, primary_key=True),
        sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("destination", sa.Text, nullable=False),
        sa.Column("new_value", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_pending_changes_account_id", "pending_changes", ["account_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("subject_id", sa.Uuid, nullable=False),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_refresh_tokens_subject_id", "refresh_tokens", ["subject_id"])
    op.create_table(
        "login_failures",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("establishment_id", sa.Uuid, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
    )
    op.create_index("staff_email_unique", "staff_users", [sa.text("lower(email)")], unique=True)


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
