"""Tables owned by the verification service.

Neither a plain code nor a destination in clear is ever stored: codes as a keyed HMAC salted with
the challenge id, destinations as a keyed HMAC (for send limits) plus, while the challenge is
pending, an AES-GCM sealed copy that ChallengePassed needs and that is erased once it is settled.

Clinic validations keep ids and keyed digests only (no names, birth date, sex or NAM). The audit log
is append-only: a trigger (migration 0003) refuses UPDATE and DELETE whatever the role.
"""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    TextClause,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

# Server defaults are TextClause(...), which is what text(...) builds: SQL text is written in queries.py only.


challenge_budgets = Table(
    "challenge_budgets",
    metadata,
    # The id of the first challenge of a resend chain.
    Column("id", Uuid, primary_key=True),
    Column("wrong_attempts", Integer, nullable=False, server_default=TextClause("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # When the last wrong try was typed (migration 0010): a resend opens a fresh chain only a cooldown later.
    Column("locked_at", DateTime(timezone=True)),
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

# One row per wrong code, whatever the challenge (migration 0007): bounds guesses per account and per
# destination across fresh challenges, which each bring their own few tries. Never the code typed.
wrong_codes = Table(
    "wrong_codes",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("account_id", Uuid, nullable=False),
    Column("destination_hmac", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("wrong_codes_by_account_time", "account_id", "at"),
    Index("wrong_codes_by_destination_time", "destination_hmac", "at"),
)


# One row per clinic confirmation; the current one is the latest not invalidated.
identity_validations = Table(
    "identity_validations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=False),
    Column("establishment_id", Uuid, nullable=False),
    Column("staff_id", Uuid, nullable=False),
    # Keyed digests; both erased when the account is deleted, leaving only ids and dates.
    Column("fingerprint", Text),
    Column("nam_hmac", Text),
    Column("validated_at", DateTime(timezone=True), nullable=False),
    Column("invalidated_at", DateTime(timezone=True)),
    Column("invalidation_reason", Text),
    Index("identity_validations_by_account", "account_id", "validated_at"),
    Index("identity_validations_by_nam", "nam_hmac"),
)

association_validations = Table(
    "association_validations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=False),  # the holder
    Column("person_id", Uuid, nullable=False),  # the dependant
    Column("establishment_id", Uuid, nullable=False),
    Column("staff_id", Uuid, nullable=False),
    Column("validated_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoke_reason", Text),
    Index("association_validations_by_account", "account_id", "person_id"),
)

# Citizens' requests that a clinic associate a patient with their account (the seed's "coming soon"):
# filed at the establishment of the patient's next appointment; ids only (migration 0004).
association_requests = Table(
    "association_requests",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=False),
    Column("person_id", Uuid, nullable=False),
    Column("establishment_id", Uuid, nullable=False),
    Column("appointment_id", Uuid, nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("reason", Text),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("decided_by", Uuid),
    CheckConstraint("status IN ('pending', 'accepted', 'refused', 'withdrawn')", name="association_requests_status"),
    Index("association_requests_by_establishment", "establishment_id", "status"),
    # One open request per patient of an account: asking twice is the same request.
    Index(
        "association_requests_one_pending",
        "account_id",
        "person_id",
        unique=True,
        postgresql_where=TextClause("status = 'pending'"),
    ),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),  # a staff id, or 'system' for what events caused
    Column("establishment_id", Uuid),
    Column("action", Text, nullable=False),
    Column("account_id", Uuid),
    Column("person_id", Uuid),
    Column("details", JSONB, nullable=False, server_default=TextClause("'{}'::jsonb")),  # ids and reasons only
    # clerk | manager | operator, when the event said (migration 0008); NULL for earlier rows and the system.
    Column("actor_role", Text),
    Index("audit_log_by_establishment", "establishment_id", "id"),
    # The operators' log: their actions, and those concerning no establishment.
    Index(
        "audit_log_for_operators",
        "id",
        postgresql_where=TextClause("actor_role = 'operator' OR establishment_id IS NULL"),
    ),
    # Who read my record (migration 0009): the rows naming an appointment (a read's list, a caller's booking),
    # and those about an account's own validations.
    Index(
        "audit_log_by_appointment",
        TextClause("(string_to_array(coalesce(details->>'appointment_ids', details->>'appointment_id'), ','))"),
        postgresql_using="gin",
    ),
    Index(
        "audit_log_by_account",
        "account_id",
        "id",
        postgresql_where=TextClause("account_id IS NOT NULL"),
    ),
)

# Who has an appointment where, as appointments' events tell it (migration 0006): a clinic validates, and
# reads the verification state of, only people it has an appointment with. Bookings made from an account
# only (a booking without one names nobody a clinic could validate); a cancelled appointment goes. Ids only.
clinic_patients = Table(
    "clinic_patients",
    metadata,
    Column("appointment_id", Uuid, primary_key=True),
    Column("establishment_id", Uuid, nullable=False),
    Column("account_id", Uuid, nullable=False),  # the account it was booked from
    Column("person_id", Uuid, nullable=False),  # the patient: the holder or one of the account's dependants
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Index("clinic_patients_by_establishment", "establishment_id", "account_id", "person_id"),
    Index("clinic_patients_by_account", "account_id"),
)
