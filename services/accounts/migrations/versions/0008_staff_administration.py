"""Staff administration (issue 21): roles per establishment, platform operators, invitations, the TOTP second
factor with recovery codes, and the establishment a staff session chose.

Existing staff keep their establishment and role (copied to staff_roles) and must enrol a second factor at
their next sign-in.

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


# Frozen as this revision creates it, not read from models.py.
def upgrade() -> None:
    op.add_column("staff_users", sa.Column("language", sa.Text, nullable=False, server_default=sa.text("'fr'")))
    op.add_column("staff_users", sa.Column("operator", sa.Boolean, nullable=False, server_default=sa.text("false")))
    op.add_column("staff_users", sa.Column("totp_secret_encrypted", sa.Text))
    op.add_column("staff_users", sa.Column("totp_enrolled_at", sa.DateTime(timezone=True)))
    op.add_column("staff_users", sa.Column("totp_last_step", sa.BigInteger))
    op.add_column(
        "staff_users",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "staff_roles",
        sa.Column("staff_id", sa.Uuid, nullable=False),
        sa.Column("establishment_id", sa.Uuid, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], name="staff_roles_staff_id_fkey", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("staff_id", "establishment_id", name="staff_roles_pkey"),
    )
    op.create_index("staff_roles_by_establishment", "staff_roles", ["establishment_id"])
    op.execute(
        "INSERT INTO staff_roles (staff_id, establishment_id, role) SELECT id, establishment_id, role FROM staff_users"
    )
    op.drop_column("staff_users", "establishment_id")
    op.drop_column("staff_users", "role")
    op.create_table(
        "staff_invitations",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("establishment_id", sa.Uuid, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("invited_by", sa.Uuid, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="staff_invitations_pkey"),
        sa.UniqueConstraint("token_hash", name="staff_invitations_token_hash_key"),
    )
    op.create_index("staff_invitations_by_establishment", "staff_invitations", ["establishment_id"])
    op.create_table(
        "staff_recovery_codes",
        sa.Column("staff_id", sa.Uuid, nullable=False),
        sa.Column("code_hash", sa.Text, nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name="staff_recovery_codes_staff_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("staff_id", "code_hash", name="staff_recovery_codes_pkey"),
    )
    op.create_table(
        "staff_factor_challenges",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False),
        sa.Column("staff_id", sa.Uuid, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("pending_secret_encrypted", sa.Text),
        sa.Column("wrong_codes", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name="staff_factor_challenges_staff_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="staff_factor_challenges_pkey"),
        sa.UniqueConstraint("token_hash", name="staff_factor_challenges_token_hash_key"),
    )
    op.create_index("ix_staff_factor_challenges_staff_id", "staff_factor_challenges", ["staff_id"])
    op.add_column("session_families", sa.Column("establishment_id", sa.Uuid))


def downgrade() -> None:
    op.drop_column("session_families", "establishment_id")
    op.drop_table("staff_factor_challenges")
    op.drop_table("staff_recovery_codes")
    op.drop_table("staff_invitations")
    op.add_column("staff_users", sa.Column("establishment_id", sa.Uuid))
    op.add_column("staff_users", sa.Column("role", sa.Text))
    # A person with several establishments keeps one of them: the one granted first.
    op.execute(
        "UPDATE staff_users s SET establishment_id = r.establishment_id, role = r.role FROM ("
        " SELECT DISTINCT ON (staff_id) staff_id, establishment_id, role FROM staff_roles"
        " ORDER BY staff_id, granted_at) r WHERE r.staff_id = s.id"
    )
    op.execute("DELETE FROM staff_users WHERE establishment_id IS NULL")
    op.alter_column("staff_users", "establishment_id", nullable=False)
    op.alter_column("staff_users", "role", nullable=False)
    op.drop_table("staff_roles")
    for column in ("created_at", "totp_last_step", "totp_enrolled_at", "totp_secret_encrypted", "operator", "language"):
        op.drop_column("staff_users", column)
