"""Clinic rules per service and bookings made by staff for a caller (issue 21).

services: how late a citizen may cancel or move online (hours before the start, 0 = until the start), the
instructions for the visit in French and English, and the seats a new slot of the service gets by default.
appointments: who made the booking, the citizen on the web or staff for a caller ('admin', as Clic Santé's FHIR
guide tags it), and that staff member.

Revision ID: 0016
"""

from alembic import op

revision = "0016"
down_revision = "0015"


def upgrade() -> None:
    # Constant defaults: PostgreSQL 11+ stores them in the catalogue, no rewrite of either table.
    op.execute(
        "ALTER TABLE services "
        "ADD COLUMN cancel_cutoff_hours integer NOT NULL DEFAULT 0, "
        "ADD COLUMN instructions_fr text, "
        "ADD COLUMN instructions_en text, "
        "ADD COLUMN default_capacity integer NOT NULL DEFAULT 1, "
        "ADD CONSTRAINT services_cancel_cutoff_in_range CHECK (cancel_cutoff_hours BETWEEN 0 AND 168), "
        "ADD CONSTRAINT services_default_capacity_in_range CHECK (default_capacity BETWEEN 1 AND 500)"
    )
    op.execute(
        "ALTER TABLE appointments "
        "ADD COLUMN source text NOT NULL DEFAULT 'web', "
        "ADD COLUMN booked_by_staff_id uuid, "
        "ADD CONSTRAINT appointments_known_source CHECK (source IN ('web', 'admin'))"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE appointments DROP CONSTRAINT appointments_known_source, "
        "DROP COLUMN booked_by_staff_id, DROP COLUMN source"
    )
    op.execute(
        "ALTER TABLE services DROP CONSTRAINT services_default_capacity_in_range, "
        "DROP CONSTRAINT services_cancel_cutoff_in_range, DROP COLUMN default_capacity, "
        "DROP COLUMN instructions_en, DROP COLUMN instructions_fr, DROP COLUMN cancel_cutoff_hours"
    )
