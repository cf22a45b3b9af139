"""Vacuum the work-queue tables as they churn: every sent delivery leaves a dead row whose entry stays in
the partial `deliveries_due` index until a vacuum, and the dispatcher's claim (the oldest pending row,
SKIP LOCKED) walks over all of them. With the default thresholds (20 % of the table) a busy day's
backlog made each claim several milliseconds (measured: 25,622 dead rows, 6.2 ms per claim).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"

QUEUE_TABLES = ("deliveries", "reminders", "outbox")
EAGER = (
    "autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, "
    "autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.02"
)


def upgrade() -> None:
    for table in QUEUE_TABLES:
        op.execute(f"ALTER TABLE {table} SET ({EAGER})")


def downgrade() -> None:
    for table in QUEUE_TABLES:
        op.execute(
            f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, "
            "autovacuum_vacuum_cost_delay, autovacuum_analyze_scale_factor)"
        )
