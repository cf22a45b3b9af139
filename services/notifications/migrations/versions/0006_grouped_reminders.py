"""One reminder per destination and day (issue 22, item 2).

reminders.local_day: the appointment's date at its place (filled for existing rows from starts_at and the
place's time zone kept in details), and the indexes that find a due reminder's group, the pending reminders
of its day going to one e-mail address or one mobile number. reminder_deliveries: which reminders a reminder
message lists, so that cancelling one appointment withdraws its line; the reminders already queued list
themselves (their message's event_id is their own id).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("ALTER TABLE reminders ADD COLUMN local_day date")
    # Erased reminders have '{}' details: their day no longer matters, Montréal's is as good as any.
    op.execute(
        "UPDATE reminders SET local_day = "
        "(starts_at AT TIME ZONE coalesce(details ->> 'timezone', 'America/Montreal'))::date"
    )
    op.execute("ALTER TABLE reminders ALTER COLUMN local_day SET NOT NULL")
    op.execute(
        "CREATE INDEX reminders_group_email ON reminders (lower(destinations ->> 'email'), local_day) "
        "WHERE state = 'pending'"
    )
    op.execute(
        "CREATE INDEX reminders_group_sms ON reminders ((destinations ->> 'sms'), local_day) WHERE state = 'pending'"
    )
    op.execute(
        "CREATE TABLE reminder_deliveries ("
        " event_id uuid NOT NULL,"
        " reminder_id uuid NOT NULL CONSTRAINT reminder_deliveries_reminder REFERENCES reminders (id),"
        " withdrawn_at timestamptz,"
        " CONSTRAINT reminder_deliveries_pkey PRIMARY KEY (event_id, reminder_id))"
    )
    op.execute("CREATE INDEX reminder_deliveries_by_reminder ON reminder_deliveries (reminder_id)")
    op.execute(
        "INSERT INTO reminder_deliveries (event_id, reminder_id) SELECT id, id FROM reminders WHERE state = 'queued'"
    )


def downgrade() -> None:
    op.execute("DROP TABLE reminder_deliveries")
    op.execute("DROP INDEX reminders_group_sms")
    op.execute("DROP INDEX reminders_group_email")
    op.execute("ALTER TABLE reminders DROP COLUMN local_day")
