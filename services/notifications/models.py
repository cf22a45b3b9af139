"""Tables owned by the notifications service."""

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    TextClause,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

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
    Column("attempts", Integer, nullable=False, server_default=TextClause("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text),
    Column("provider_message_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("event_id", "channel", "kind", name="deliveries_once_per_event"),
    Index("deliveries_due", "next_attempt_at", postgresql_where=TextClause("status = 'pending'")),
    Index("deliveries_account", "account_id", postgresql_where=TextClause("account_id IS NOT NULL")),
    Index("deliveries_recipient", func.lower(TextClause("recipient"))),
)

# One row per reminder to send: planned by the consumer from AppointmentBooked/Rescheduled, turned into
# deliveries by the ReminderScheduler when due. state: pending -> queued | cancelled | skipped.
reminders = Table(
    "reminders",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("appointment_id", Uuid, nullable=False),
    # The event that planned it: with offset_minutes, makes a replayed event plan nothing twice.
    Column("source_event_id", Uuid, nullable=False),
    Column("offset_minutes", Integer, nullable=False),
    Column("account_id", Uuid),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    # starts_at's date at the place: the reminders of one offset, day and destination leave as one message.
    Column("local_day", Date, nullable=False),
    # When it goes out: starts_at - offset, moved into the 08:00-21:00 window of the place.
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("state", Text, nullable=False, server_default="pending"),
    # {"email": address, "sms": E.164 number}: the channels chosen at booking; '{}' once erased.
    Column("destinations", JSONB, nullable=False),
    # AppointmentDetails.stored(): names, service, place, time zone, language.
    Column("details", JSONB, nullable=False),
    # For the confirm/cancel links; NULL once the reminder is queued, cancelled or skipped.
    Column("manage_token", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("settled_at", DateTime(timezone=True)),
    UniqueConstraint("source_event_id", "offset_minutes", name="reminders_once_per_event"),
    Index("reminders_due", "due_at", postgresql_where=TextClause("state = 'pending'")),
    Index("reminders_appointment", "appointment_id"),
    Index("reminders_account", "account_id", postgresql_where=TextClause("account_id IS NOT NULL")),
    # A due reminder's group: the pending reminders of its day going to the same address or number.
    Index(
        "reminders_group_email",
        func.lower(TextClause("destinations ->> 'email'")),
        "local_day",
        postgresql_where=TextClause("state = 'pending'"),
    ),
    Index(
        "reminders_group_sms",
        TextClause("(destinations ->> 'sms')"),
        "local_day",
        postgresql_where=TextClause("state = 'pending'"),
    ),
)

# Which reminders a reminder message lists (its delivery's event_id, rules.reminder_group_id): a cancelled or
# moved appointment withdraws its line, and a message still waiting to be sent is cancelled once every line
# is withdrawn. Ids only.
reminder_deliveries = Table(
    "reminder_deliveries",
    metadata,
    Column("event_id", Uuid, nullable=False),
    Column("reminder_id", Uuid, ForeignKey("reminders.id", name="reminder_deliveries_reminder"), nullable=False),
    Column("withdrawn_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("event_id", "reminder_id", name="reminder_deliveries_pkey"),
    Index("reminder_deliveries_by_reminder", "reminder_id"),
)

# The latest appointment event applied, per appointment: events can arrive out of order (a failed
# message is requeued behind later ones), and a late AppointmentBooked must not plan reminders for an
# appointment already cancelled or moved. Ids and times only, nothing about the person.
appointment_versions = Table(
    "appointment_versions",
    metadata,
    Column("appointment_id", Uuid, nullable=False),
    Column("state", Text, nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("appointment_id", name="appointment_versions_pkey"),
)
