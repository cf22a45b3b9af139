"""Tables owned by the accounts service."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    TextClause,
    Uuid,
    func,
)

metadata = MetaData()

# Server defaults and index conditions are TextClause objects, which is what SQLAlchemy's text function builds:
# SQL text is written in queries.py only.

accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("status", Text, nullable=False),  # pending (contact not yet proven) | active
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", Text, nullable=False),
    Column("nam_encrypted", Text),
    Column("nam_hmac", Text, index=True),
    Column("email", Text),
    Column("phone", Text),
    Column("language", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("notify_email", Boolean, nullable=False, server_default=TextClause("true")),
    Column("notify_sms", Boolean, nullable=False, server_default=TextClause("false")),
    Column("address", Text),
    Column("city", Text),
    Column("postal_code", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # One account per contact; the pending one is replaced if never activated.
    Index(
        "accounts_email_unique",
        func.lower(TextClause("email")),
        unique=True,
        postgresql_where=TextClause("email IS NOT NULL"),
    ),
    Index("accounts_phone_unique", "phone", unique=True, postgresql_where=TextClause("phone IS NOT NULL")),
)

dependants = Table(
    "dependants",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", Text, nullable=False),
    Column("nam_encrypted", Text),
    Column("nam_hmac", Text, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A change waiting for its 6-digit code: applied when verification publishes ChallengePassed.
pending_changes = Table(
    "pending_changes",
    metadata,
    Column("challenge_id", Uuid, primary_key=True),
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("purpose", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("destination", Text, nullable=False),
    Column("new_value", Text),  # new email/phone, encrypted NAM or new password hash; never a plain secret
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Set from verification's CodeLocked (migration 0009): no new code is sent before it.
    Column("new_code_from", DateTime(timezone=True)),
)

# One login's session: its refresh tokens rotate within it (migration 0006). It ends at `started_at` plus the
# audience's absolute lifetime (settings), at a logout, or when a refresh token already used is presented again.
session_families = Table(
    "session_families",
    metadata,
    Column("id", Uuid, primary_key=True),  # the access tokens' `sid` claim
    Column("subject_id", Uuid, nullable=False, index=True),
    Column("audience", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
)

# A challenge asked for where nothing can be proven (a reset without an account, a registration with a taken
# or a staff address): kept so that resending its code answers as for a pending change. The contact typed may
# be anybody's, so it is encrypted, with a keyed HMAC to erase it when its owner's account is deleted.
decoy_challenges = Table(
    "decoy_challenges",
    metadata,
    Column("challenge_id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=False, index=True),  # as verification knows the decoy
    Column("purpose", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("destination_encrypted", Text, nullable=False),
    Column("destination_hmac", Text, nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("new_code_from", DateTime(timezone=True)),  # as pending_changes'
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("subject_id", Uuid, nullable=False, index=True),
    Column("audience", Text, nullable=False),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("family_id", Uuid, ForeignKey("session_families.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("used_at", DateTime(timezone=True)),  # rotated: presenting it again revokes the family
)

# Every revocation, kept for a gateway that starts after it: the access tokens issued before it may still be
# within their lifetime (GET /session-revocations).
session_revocations = Table(
    "session_revocations",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("subject_id", Uuid, nullable=False),
    Column("session_id", Uuid),
    Column("revoked_at", DateTime(timezone=True), nullable=False, index=True),
)

# Failed logins per account and per client address: temporary slow-down, never a permanent lock.
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=False),
)

# People who sign in to the console: clinic staff (their roles per establishment in `staff_roles`) and platform
# operators (`operator`), who hold no clinic role (migration 0008). The second factor is a TOTP secret,
# encrypted like contacts; `totp_last_step` is the time step of the last code accepted, so a code works once.
staff_users = Table(
    "staff_users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("language", Text, nullable=False, server_default=TextClause("'fr'")),
    Column("operator", Boolean, nullable=False, server_default=TextClause("false")),
    Column("totp_secret_encrypted", Text),  # None: not enrolled (new, or reset by an operator)
    Column("totp_enrolled_at", DateTime(timezone=True)),
    Column("totp_last_step", BigInteger),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("staff_email_unique", func.lower(TextClause("email")), unique=True),
)

# One row per establishment a person works at. Disabled by a manager: kept (the audit log names the person),
# but it opens nothing.
staff_roles = Table(
    "staff_roles",
    metadata,
    Column("staff_id", Uuid, ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True),
    Column("establishment_id", Uuid, primary_key=True),
    Column("role", Text, nullable=False),  # clerk | manager
    Column("granted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("disabled_at", DateTime(timezone=True)),
    Index("staff_roles_by_establishment", "establishment_id"),
)

# A single-use link to join an establishment's staff, sent by e-mail (StaffInvited); only its hash is kept.
staff_invitations = Table(
    "staff_invitations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("email", Text, nullable=False),
    Column("establishment_id", Uuid, nullable=False),
    Column("role", Text, nullable=False),
    Column("language", Text, nullable=False),
    Column("invited_by", Uuid, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("accepted_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),  # replaced by a newer invitation, or withdrawn
    Index("staff_invitations_by_establishment", "establishment_id"),
)

# Single-use recovery codes, for a lost authenticator: hashes only (the codes are long and random).
staff_recovery_codes = Table(
    "staff_recovery_codes",
    metadata,
    Column("staff_id", Uuid, ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True),
    Column("code_hash", Text, primary_key=True),
    Column("used_at", DateTime(timezone=True)),
)

# Between the password and the second factor: the opaque token the console holds for a few minutes, with the
# wrong codes it has met. `pending_secret_encrypted`: the secret being enrolled, until a code proves it.
staff_factor_challenges = Table(
    "staff_factor_challenges",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("staff_id", Uuid, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("purpose", Text, nullable=False),  # verify | enrol
    Column("pending_secret_encrypted", Text),
    Column("wrong_codes", Integer, nullable=False, server_default=TextClause("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

# A staff session's chosen establishment (None: an operator, or not chosen yet): refreshes keep it.
session_families.append_column(Column("establishment_id", Uuid))

# --- account links ---
# Accounts whose holders carry the same NAM, linked once a clinic has validated one of them
# (links/use_cases.py, migration 0003). Only account ids: the NAM stays in `accounts`, as an HMAC.
account_link_groups = Table(
    "account_link_groups",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

account_links = Table(
    "account_links",
    metadata,
    # A deleted account leaves its group with it.
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", Uuid, ForeignKey("account_link_groups.id", ondelete="CASCADE"), nullable=False, index=True),
)

# --- shared children ---
# Dependants whose association with their account a clinic validated, with their NAM's keyed HMAC
# kept here so a group can still be recomputed after the dependant itself was removed.
validated_dependants = Table(
    "validated_dependants",
    metadata,
    Column("person_id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=False),
    Column("nam_hmac", Text, nullable=False, index=True),
)
