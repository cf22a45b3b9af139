"""NAM-linked account groups.

Revision ID: 0003
"""

from alembic import op

from services.accounts.models import metadata

revision = "0003"
down_revision = "0002"

TABLES = ("account_link_groups", "account_links")


def upgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        metadata.tables[name].create(bind)


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
