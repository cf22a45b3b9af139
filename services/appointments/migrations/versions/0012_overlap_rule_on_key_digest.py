"""The no-overlap rule compares the digest of the person key (a fixed 16-byte uuid) instead of the key text.

Same rule: one person (person id, else typed email or phone) cannot hold two appointments at overlapping
times. The GiST index behind the exclusion constraint compared variable-length text keys on every insert
(btree_gist's var-length union and penalty functions); a uuid key is fixed-length. Backend CPU per booking
statement on one connection, 6,000 bookings per run, alternated: 312-323 µs with the digest against
380-452 µs with the text. md5 stands for equality here only: two keys with the same digest would be
refused as overlapping, a collision no one can aim at a given person (a second preimage, not a collision).

Revision ID: 0012
"""

from alembic import op

revision = "0012"
down_revision = "0011"

LIVE = "WHERE (status IN ('booked', 'arrived', 'checked-in'))"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE appointments DROP CONSTRAINT appointments_no_overlap, "
        "ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist "
        f"((md5(person_key)::uuid) WITH =, during WITH &&) {LIVE}"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE appointments DROP CONSTRAINT appointments_no_overlap, "
        f"ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist (person_key WITH =, during WITH &&) {LIVE}"
    )
