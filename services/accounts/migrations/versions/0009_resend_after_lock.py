"""When a pending change's code may be sent again (issue 22, item 5): verification's CodeLocked says that no code
passes its challenge before a time; a resend before it is refused with that time instead of sending a code that
would be refused.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.add_column("pending_changes", sa.Column("new_code_from", sa.DateTime(timezone=True)))
    op.add_column("decoy_challenges", sa.Column("new_code_from", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("decoy_challenges", "new_code_from")
    op.drop_column("pending_changes", "new_code_from")
