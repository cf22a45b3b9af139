"""The patient's sex in the booking snapshot, as the citizen entered it in their account: the clinic's identity
window pre-selects it. Nullable: a booking without an account has none, and older bookings stay without.

Revision ID: 0015
"""

from alembic import op

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    # Nullable and without a default: PostgreSQL adds it to the catalogue only, no rewrite of the table.
    op.execute("ALTER TABLE appointments ADD COLUMN sex text")


def downgrade() -> None:
    op.execute("ALTER TABLE appointments DROP COLUMN sex")
