"""Session families and revocations: refresh tokens rotate within the family a login started, a used one
presented again revokes the family, a family ends at an absolute lifetime, and each revocation is kept for
the gateways that start after it (issue 18, finding 9).

Refresh tokens issued before this revision belong to no family: they are dropped, so those sessions end at
their next refresh (the access tokens they already gave run out within their 15 minutes).

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("""
CREATE TABLE session_families (
  id uuid PRIMARY KEY,
  subject_id uuid NOT NULL,
  audience text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
)""")
    op.execute("CREATE INDEX ix_session_families_subject_id ON session_families (subject_id)")
    op.execute("DELETE FROM refresh_tokens")
    op.execute(
        "ALTER TABLE refresh_tokens ADD COLUMN family_id uuid NOT NULL "
        "REFERENCES session_families (id) ON DELETE CASCADE"
    )
    op.execute("ALTER TABLE refresh_tokens ADD COLUMN used_at timestamptz")
    op.execute("CREATE INDEX ix_refresh_tokens_family_id ON refresh_tokens (family_id)")
    op.execute("""
CREATE TABLE session_revocations (
  id bigserial PRIMARY KEY,
  subject_id uuid NOT NULL,
  session_id uuid,
  revoked_at timestamptz NOT NULL
)""")
    op.execute("CREATE INDEX ix_session_revocations_revoked_at ON session_revocations (revoked_at)")


def downgrade() -> None:
    op.execute("DROP TABLE session_revocations")
    op.execute("DROP INDEX ix_refresh_tokens_family_id")
    op.execute("ALTER TABLE refresh_tokens DROP COLUMN used_at")
    op.execute("ALTER TABLE refresh_tokens DROP COLUMN family_id")
    op.execute("DROP TABLE session_families")
