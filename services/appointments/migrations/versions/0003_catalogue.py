"""Catalogue: opening hours, phone and region of establishments, staff schedules, the search index.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"

SEARCH_NAME = (
    "translate(replace(replace(lower(name_fr || ' ' || name_en), 'œ', 'oe'), 'æ', 'ae'), "
    "'àâäáãåçéèêëíìîïñóòôöõúùûüýÿ', 'aaaaaaceeeeiiiinooooouuuuyy')"
)


def upgrade() -> None:
    # {"mon": [["08:00", "16:00"]], ...}: a weekday with no entry is closed.
    op.add_column(
        "establishments", sa.Column("opening_hours", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb"))
    )
    op.add_column("establishments", sa.Column("phone", sa.Text))
    op.add_column("establishments", sa.Column("region", sa.Text))
    # Service names folded once for accent- and case-insensitive matching; must agree with
    # search.fold(). Built from immutable functions only, so no unaccent extension is needed.
    op.add_column("services", sa.Column("search_name", sa.Text, sa.Computed(SEARCH_NAME, persisted=True)))
    # Nearby search prefilters on a latitude/longitude box before the exact distance.
    op.create_index("establishments_by_location", "establishments", ["latitude", "longitude"])
    op.create_table(
        "schedules",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("establishment_id", sa.Uuid, sa.ForeignKey("establishments.id"), nullable=False),
        sa.Column("service_id", sa.Uuid, sa.ForeignKey("services.id"), nullable=False),
        sa.Column("weekdays", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("start_time", sa.Time, nullable=False),
        sa.Column("end_time", sa.Time, nullable=False),
        sa.Column("slot_minutes", sa.Integer, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=False),
        # [{"date": "2025-12-25", "hours": []}, {"date": "2025-12-24", "hours": [["08:00", "12:00"]]}]
        sa.Column("exceptions", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("created_by", sa.Uuid),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("slot_minutes > 0 AND capacity > 0", name="schedules_positive"),
        sa.CheckConstraint("valid_from <= valid_to AND start_time < end_time", name="schedules_ordered"),
    )
    op.create_index("schedules_by_establishment", "schedules", ["establishment_id", "valid_from"])
    # The same schedule posted twice is stored once.
    op.create_index("schedules_by_content", "schedules", ["service_id", "fingerprint"], unique=True)


def downgrade() -> None:
    op.drop_table("schedules")
    op.drop_index("establishments_by_location", "establishments")
    op.drop_column("services", "search_name")
    for name in ("region", "phone", "opening_hours"):
        op.drop_column("establishments", name)
