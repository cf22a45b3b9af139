"""Wrong codes, one row each: the bound on guesses across challenges (issue 18, finding 5).

Each fresh challenge brings its own few tries; without a bound across them an attacker asking for reset
codes over and over guesses about 25 codes an hour for one account. The rows name the account and the
destination's keyed HMAC, never the code typed.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "wrong_codes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("account_id", sa.Uuid, nullable=False),
        sa.Column("destination_hmac", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("wrong_codes_by_account_time", "wrong_codes", ["account_id", "at"])
    op.create_index("wrong_codes_by_destination_time", "wrong_codes", ["destination_hmac", "at"])


def downgrade() -> None:
    op.drop_table("wrong_codes")
