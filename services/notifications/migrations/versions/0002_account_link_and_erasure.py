"""Deliveries remember their account (for erasure), are findable by recipient, and keep no sent bodies.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("account_id", sa.Uuid, nullable=True))
    op.create_index(
        "deliveries_account", "deliveries", ["account_id"], postgresql_where=sa.text("account_id IS NOT NULL")
    )
    op.create_index("deliveries_recipient", "deliveries", [sa.text("lower(recipient)")])
    # Bodies of messages already sent can hold cancel tokens: from now on they are blanked at sending.
    op.execute("UPDATE deliveries SET body = '' WHERE status = 'sent' AND body <> ''")


def downgrade() -> None:
    op.drop_index("deliveries_recipient", table_name="deliveries")
    op.drop_index("deliveries_account", table_name="deliveries")
    op.drop_column("deliveries", "account_id")
