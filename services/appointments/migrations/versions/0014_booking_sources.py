"""Bookings without an account per client address and hour (issue 18, finding 6).

Each such booking sends messages to an address nobody proved; one address may book only so many an hour.
The address is kept as a keyed HMAC, for the current and the previous hour only.

Revision ID: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    op.create_table(
        "booking_sources",
        # Hour first: old hours are deleted by a range of the primary key.
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_hmac", sa.Text, nullable=False),
        sa.Column("bookings", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("hour", "source_hmac", name="booking_sources_pkey"),
    )


def downgrade() -> None:
    op.drop_table("booking_sources")
