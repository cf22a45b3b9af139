"""Citizen accounts, dependants, pending changes, refresh tokens, login failures, staff users.

Revision ID: 0002
"""

from alembic import op
from sqlalchemy import Column, DateTime, MetaData, Table, Text, Uuid

from services.accounts.models import metadata

revision = "0002"
down_revision = "0001"

TABLES = ("accounts", "dependants", "pending_changes", "refresh_tokens", "login_failures", "staff_users")

# As this revision created it: today's model has the columns migration 0006 added (session families).
REFRESH_TOKENS = Table(
    "refresh_tokens",
    MetaData(),
    Column("id", Uuid, primary_key=True),
    Column("subject_id", Uuid, nullable=False, index=True),
    Column("audience", Text, nullable=False),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)


def upgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        (REFRESH_TOKENS if name == "refresh_tokens" else metadata.tables[name]).create(bind)


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
