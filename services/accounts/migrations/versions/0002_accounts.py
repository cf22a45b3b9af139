"""Citizen accounts, dependants, pending changes, refresh tokens, login failures, staff users.

Revision ID: 0002
"""

from alembic import op

from services.accounts.models import metadata

revision = "0002"
down_revision = "0001"

TABLES = ("accounts", "dependants", "pending_changes", "refresh_tokens", "login_failures", "staff_users")


def upgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        metadata.tables[name].create(bind)


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
