"""Who read my record (issue 22): a citizen's page finds the audit rows that name their appointments or their
account, so both are indexed.

A GIN index over the appointments a row names (a read's details.appointment_ids, a caller booking's
details.appointment_id), as text: a day list names many, and `&&` against the family's appointments uses it.
A B-tree over account_id for the account's own validations. Indexes rewrite no row: the append-only trigger
has nothing to refuse.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.execute(
        "CREATE INDEX audit_log_by_appointment ON audit_log USING gin "
        "((string_to_array(coalesce(details->>'appointment_ids', details->>'appointment_id'), ',')))"
    )
    op.execute("CREATE INDEX audit_log_by_account ON audit_log (account_id, id) WHERE account_id IS NOT NULL")


def downgrade() -> None:
    op.drop_index("audit_log_by_account", table_name="audit_log")
    op.drop_index("audit_log_by_appointment", table_name="audit_log")
