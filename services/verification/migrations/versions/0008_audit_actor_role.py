"""The audit log says in which capacity its actor acted (issue 21): platform operators' actions, and those
that concern no establishment, are the operators' own log (GET /admin/operator-audit).

A nullable column: earlier rows (a clinic's staff or the system, each with its establishment) keep NULL. Adding
a column rewrites no row, so the append-only trigger has nothing to refuse.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("actor_role", sa.Text))
    op.create_index(
        "audit_log_for_operators",
        "audit_log",
        ["id"],
        postgresql_where=sa.text("actor_role = 'operator' OR establishment_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("audit_log_for_operators", table_name="audit_log")
    op.drop_column("audit_log", "actor_role")
