"""Tables owned by the notifications service."""

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)

metadata = MetaData()

# One row per message to send: written by the consumer with the event, sent by the dispatcher.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("event_id", Uuid, nullable=False),
    Column("kind", Text, nullable=False),
    Column("channel", Text, nullable=False),
    # "[erased]" once the person deleted their account; the address or E.164 number until then.
    Column("recipient", Text, nullable=False),
    # The account the message concerns, when the event names one: lets an account deletion find
    # messages sent to addresses the account no longer has (e.g. the old address told of a change).
    Column("account_id", Uuid),
    Column("language", Text, nullable=False),
    Column("subject", Text, nullable=False),
    # Blanked once sent (it can hold a cancel token); a placeholder for messages sent inline (codes).
    Column("body", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text),
    Column("provider_message_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("event_id", "channel", "kind", name="deliveries_once_per_event"),
    Index("deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    Index("deliveries_account", "account_id", postgresql_where=text("account_id IS NOT NULL")),
    Index("deliveries_recipient", func.lower(text("recipient"))),
)
