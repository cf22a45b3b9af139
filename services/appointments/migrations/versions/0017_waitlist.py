"""The waitlist with automatic offers (issue 22, item 1).

waitlist_entries: a person waiting for a seat of one service between two local dates at some times of day;
waitlist_offers: a freed seat held for one entry until it expires (counted in slots.booked while open);
establishments.waitlist_hold_minutes: how long the seat is held (15 by default, 1 to 1440).

The offer matcher (waitlist/matcher.py) listens on the channel `waitlist_seats`, notified when a seat may have
freed: a slot's `booked` goes down or its `capacity` up (row trigger, its WHEN clause evaluated without calling
anything, so a booking, which raises `booked`, queues no trigger event and sends nothing), or slots are inserted
(one notification per statement, however many slots a schedule opens).

Revision ID: 0017
"""

from alembic import op

revision = "0017"
down_revision = "0016"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE establishments ADD COLUMN waitlist_hold_minutes integer NOT NULL DEFAULT 15, "
        "ADD CONSTRAINT establishments_waitlist_hold_in_range CHECK (waitlist_hold_minutes BETWEEN 1 AND 1440)"
    )
    op.execute("""
        CREATE TABLE waitlist_entries (
            id uuid PRIMARY KEY,
            service_id uuid NOT NULL REFERENCES services (id),
            account_id uuid,
            person_id uuid,
            person_key text NOT NULL,
            first_name text NOT NULL,
            last_name text NOT NULL,
            birth_date date,
            sex text,
            holder_name text,
            email text,
            phone text,
            language text NOT NULL,
            notify_email boolean NOT NULL,
            notify_sms boolean NOT NULL,
            from_date date NOT NULL,
            to_date date NOT NULL,
            times_of_day text[] NOT NULL,
            status text NOT NULL DEFAULT 'waiting',
            joined_at timestamptz NOT NULL DEFAULT now(),
            changed_at timestamptz NOT NULL DEFAULT now(),
            token_hash text,
            idempotency_key text,
            request_fingerprint text,
            CONSTRAINT waitlist_entries_known_status
                CHECK (status IN ('waiting', 'offered', 'booked', 'left', 'ended')),
            CONSTRAINT waitlist_entries_dates_ordered CHECK (from_date <= to_date)
        )
    """)
    op.execute(
        "CREATE INDEX waitlist_entries_line ON waitlist_entries (service_id, joined_at) WHERE status = 'waiting'"
    )
    op.execute(
        "CREATE UNIQUE INDEX waitlist_entries_one_live_per_person ON waitlist_entries (service_id, person_key) "
        "WHERE status IN ('waiting', 'offered')"
    )
    op.execute(
        "CREATE UNIQUE INDEX waitlist_entries_idempotency ON waitlist_entries (idempotency_key) "
        "WHERE idempotency_key IS NOT NULL"
    )
    op.execute("CREATE INDEX waitlist_entries_by_account ON waitlist_entries (account_id) WHERE account_id IS NOT NULL")
    op.execute("""
        CREATE TABLE waitlist_offers (
            id uuid PRIMARY KEY,
            entry_id uuid NOT NULL REFERENCES waitlist_entries (id),
            slot_id uuid NOT NULL REFERENCES slots (id),
            status text NOT NULL DEFAULT 'open',
            offered_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            closed_at timestamptz,
            token_hash text NOT NULL,
            appointment_id uuid REFERENCES appointments (id),
            CONSTRAINT waitlist_offers_known_status CHECK (status IN ('open', 'accepted', 'declined', 'expired'))
        )
    """)
    op.execute("CREATE UNIQUE INDEX waitlist_offers_once_per_slot ON waitlist_offers (entry_id, slot_id)")
    op.execute("CREATE UNIQUE INDEX waitlist_offers_one_open ON waitlist_offers (entry_id) WHERE status = 'open'")
    op.execute("CREATE INDEX waitlist_offers_open_by_expiry ON waitlist_offers (expires_at) WHERE status = 'open'")
    op.execute("""
        CREATE FUNCTION waitlist_seats_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('waitlist_seats', '');
            RETURN NULL;
        END $$
    """)
    op.execute(
        "CREATE TRIGGER slots_seat_freed AFTER UPDATE OF booked, capacity ON slots FOR EACH ROW "
        "WHEN (NEW.booked < OLD.booked OR NEW.capacity > OLD.capacity) EXECUTE FUNCTION waitlist_seats_notify()"
    )
    op.execute(
        "CREATE TRIGGER slots_opened AFTER INSERT ON slots FOR EACH STATEMENT EXECUTE FUNCTION waitlist_seats_notify()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER slots_opened ON slots")
    op.execute("DROP TRIGGER slots_seat_freed ON slots")
    op.execute("DROP FUNCTION waitlist_seats_notify()")
    op.execute("DROP TABLE waitlist_offers")
    op.execute("DROP TABLE waitlist_entries")
    op.execute(
        "ALTER TABLE establishments DROP CONSTRAINT establishments_waitlist_hold_in_range, "
        "DROP COLUMN waitlist_hold_minutes"
    )
