"""The outbox relay is woken in process by the unit of work: the NOTIFY trigger on the outbox goes.

Revision ID: 0005
"""

from shared.migrations import create_outbox_notify_trigger, drop_outbox_notify_trigger

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    drop_outbox_notify_trigger()


def downgrade() -> None:
    create_outbox_notify_trigger()
