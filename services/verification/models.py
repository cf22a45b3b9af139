"""Tables owned by the verification service.

Neither a plain code nor a destination in clear is ever stored: codes as a keyed HMAC salted with
the challenge id, destinations as a keyed HMAC (for send limits) plus, while the challenge is
pending, an AES-GCM sealed copy that ChallengePassed needs and that is erased once it is settled.
"""

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    Uuid,
    func,
    text,
)

metadata = MetaData()


challenge_budgets = Table(
    "challenge_budgets",
    metadata,
    # The id of the first challenge of a resend chain.
    Column("id", Uuid, primary_key=True),
    Column("wrong_attempts", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

challenges = Table(
    "challenges",
    metadata,
    # = CodeRequested.request_id, which makes issuing idempotent.
    Column("id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("destination_hmac", Text, nullable=False),
    Column("destination_sealed", LargeBinary),
    Column("code_hash", Text),  # NULL when throttled: no code was made
    Column("status", Text, nullable=False),
    Column("budget_id", Uuid, ForeignKey("challenge_budgets.id"), nullable=False, index=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('issued', 'passed', 'superseded', 'throttled')", name="challenges_status_known"),
    Index("challenges_by_account_time", "account_id", "created_at"),
    Index("challenges_by_destination_time", "destination_hmac", "created_at"),
)
