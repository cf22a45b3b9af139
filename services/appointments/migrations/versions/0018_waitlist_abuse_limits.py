"""The waitlist cannot be clogged by one client (security review of issue 22's waitlist).

waitlist_entries.ended_reason: why an entry ended: its last date passed (dates_passed), it let
waitlist.rules.MAX_UNANSWERED_OFFERS offers expire (offers_unanswered), or the dependant it was for was removed
from the account (dependant_removed). Entries already ended ended by their dates.

waitlist_entries.email_key / phone_key: the contact of an entry made without an account as a destination
(e-mail in lower case without its local part's +tag, mobile in E.164): one live entry per service and
destination, so a+1@x, a+2@x... are one person. Live entries already holding a destination twice keep waiting;
only the first keeps the key (the index could not be built otherwise).

waitlist_entries.source_hmac: the client address an entry without an account came from (the anonymous booking
limit's keyed HMAC): at most waitlist.rules' live entries per address.

Revision ID: 0018
"""

from alembic import op

revision = "0018"
down_revision = "0017"

_LIVE = "status IN ('waiting', 'offered')"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE waitlist_entries ADD COLUMN ended_reason text, ADD COLUMN email_key text, "
        "ADD COLUMN phone_key text, ADD COLUMN source_hmac text, "
        "ADD CONSTRAINT waitlist_entries_known_end CHECK "
        "(ended_reason IN ('dates_passed', 'offers_unanswered', 'dependant_removed'))"
    )
    op.execute("UPDATE waitlist_entries SET ended_reason = 'dates_passed' WHERE status = 'ended'")
    op.execute(
        "UPDATE waitlist_entries SET email_key = regexp_replace(lower(email), '^([^@+]+)\\+[^@]*@', '\\1@'), "
        "phone_key = phone "
        "WHERE account_id IS NULL"
    )
    for key in ("email_key", "phone_key"):
        op.execute(f"""
            UPDATE waitlist_entries SET {key} = NULL WHERE id IN (
              SELECT id FROM (
                SELECT id, row_number() OVER (PARTITION BY service_id, {key} ORDER BY joined_at, id) AS n
                FROM waitlist_entries WHERE {_LIVE} AND {key} IS NOT NULL) ranked
              WHERE n > 1)
        """)
        op.execute(
            f"CREATE UNIQUE INDEX waitlist_entries_one_live_per_{key} ON waitlist_entries (service_id, {key}) "
            f"WHERE {_LIVE} AND {key} IS NOT NULL"
        )
    op.execute(
        f"CREATE INDEX waitlist_entries_live_by_source ON waitlist_entries (source_hmac) "
        f"WHERE {_LIVE} AND source_hmac IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX waitlist_entries_live_by_source")
    op.execute("DROP INDEX waitlist_entries_one_live_per_phone_key")
    op.execute("DROP INDEX waitlist_entries_one_live_per_email_key")
    op.execute(
        "ALTER TABLE waitlist_entries DROP CONSTRAINT waitlist_entries_known_end, DROP COLUMN source_hmac, "
        "DROP COLUMN phone_key, DROP COLUMN email_key, DROP COLUMN ended_reason"
    )
