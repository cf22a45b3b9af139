"""One-time codes: challenges and the wrong-try budgets their resends share.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "challenge_budgets",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("wrong_attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "challenges",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("destination_hmac", sa.Text, nullable=False),
        sa.Column("destination_sealed", sa.LargeBinary),
        sa.Column("code_hash", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("budget_id", sa.Uuid, sa.ForeignKey("challenge_budgets.id"), nullable=False, index=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('issued', 'passed', 'superseded', 'throttled')", name="challenges_status_known"),
    )
    op.create_index("challenges_by_account_time", "challenges", ["account_id", "created_at"])
    op.create_index("challenges_by_destination_time", "challenges", ["destination_hmac", "created_at"])


def downgrade() -> None:
    op.drop_table("challenges")
    op.drop_table("challenge_budgets")
