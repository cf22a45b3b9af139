"""Tables owned by the appointments service."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    and_,
    cast,
    column,
    func,
)
from sqlalchemy.dialects.postgresql import TSTZRANGE, UUID, ExcludeConstraint

metadata = MetaData()

establishments = Table(
    "establishments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("postal_code", Text, nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("timezone", Text, nullable=False, server_default="America/Montreal"),
)

services = Table(
    "services",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("establishment_id", Uuid, ForeignKey("establishments.id"), nullable=False, index=True),
    Column("name_fr", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
)

slots = Table(
    "slots",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("service_id", Uuid, ForeignKey("services.id"), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("booked", Integer, nullable=False, server_default="0"),
    # The last line of defence against overbooking, behind the conditional UPDATE.
    CheckConstraint("booked >= 0 AND booked <= capacity", name="slots_booked_within_capacity"),
    Index("slots_by_service_time", "service_id", "starts_at"),
)

appointments = Table(
    "appointments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("slot_id", Uuid, ForeignKey("slots.id"), nullable=False, index=True),
    Column("account_id", Uuid),
    Column("person_id", Uuid),  # holder or dependant, when booked from an account
    # Who the patient is for the overlap rule: the person id, else the typed email or phone.
    Column("person_key", Text, nullable=False),
    Column("during", TSTZRANGE, nullable=False),  # copy of the slot's time, for the exclusion constraint
    # FHIR R4 Appointment.status
    Column("status", Text, nullable=False, server_default="booked"),
    # Snapshot of the patient as given at booking time.
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("birth_date", Date),
    # As the citizen entered it in their account (F, M or X), for the identity window; none without an
    # account (migration 0015).
    Column("sex", Text),
    Column("email", Text),
    Column("phone", Text),
    Column("language", Text, nullable=False),
    Column("notify_email", Boolean, nullable=False, server_default="true"),
    Column("notify_sms", Boolean, nullable=False, server_default="false"),
    Column("idempotency_key", Text),
    Column("request_fingerprint", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("arrived_at", DateTime(timezone=True)),
    Column("noshow_at", DateTime(timezone=True)),
    Column("cancelled_at", DateTime(timezone=True)),
    # Which manage-link token is current: a reschedule moves to the next (booking/rules.py, migration 0013).
    Column("manage_generation", Integer, nullable=False, server_default="0"),
    Index(
        "appointments_idempotency",
        "idempotency_key",
        unique=True,
        postgresql_where=column("idempotency_key").isnot(None),
    ),
    # Anonymous bookings have neither: left out (migration 0011).
    Index("ix_appointments_account_id", "account_id", postgresql_where=column("account_id").isnot(None)),
    Index("ix_appointments_person_id", "person_id", postgresql_where=column("person_id").isnot(None)),
)

# --- catalogue ---
# Owned by the catalogue (catalogue/, migration 0003). Imports live here so this section stays self-contained.
from sqlalchemy import ARRAY, Computed, Time  # noqa: E402
from sqlalchemy.dialects.postgresql import JSONB  # noqa: E402

# {"mon": [["08:00", "16:00"]], ...}: a weekday with no entry is closed.
establishments.append_column(Column("opening_hours", JSONB, nullable=False, server_default="{}"))
establishments.append_column(Column("phone", Text))
establishments.append_column(Column("region", Text))
# Names folded for accent- and case-insensitive search; must agree with catalogue.rules.fold().
services.append_column(
    Column(
        "search_name",
        Text,
        Computed(
            "translate(replace(replace(lower(name_fr || ' ' || name_en), 'œ', 'oe'), 'æ', 'ae'), "
            "'àâäáãåçéèêëíìîïñóòôöõúùûüýÿ', 'aaaaaaceeeeiiiinooooouuuuyy')",
            persisted=True,
        ),
    )
)
# Nearby search prefilters on a latitude/longitude box (GiST on the point) before the exact distance.
Index(
    "establishments_by_point",
    func.point(establishments.c.longitude, establishments.c.latitude),
    postgresql_using="gist",
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("establishment_id", Uuid, ForeignKey("establishments.id"), nullable=False),
    Column("service_id", Uuid, ForeignKey("services.id"), nullable=False),
    Column("weekdays", ARRAY(Text), nullable=False),
    Column("start_time", Time, nullable=False),
    Column("end_time", Time, nullable=False),
    Column("slot_minutes", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
    # [{"date": "2025-12-25", "hours": []}, {"date": "2025-12-24", "hours": [["08:00", "12:00"]]}]
    Column("exceptions", JSONB, nullable=False, server_default="[]"),
    Column("fingerprint", Text, nullable=False),
    Column("created_by", Uuid),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("slot_minutes > 0 AND capacity > 0", name="schedules_positive"),
    CheckConstraint("valid_from <= valid_to AND start_time < end_time", name="schedules_ordered"),
    Index("schedules_by_establishment", "establishment_id", "valid_from"),
    # The same schedule posted twice is stored once.
    Index("schedules_by_content", "service_id", "fingerprint", unique=True),
)

# --- verification read model ---
# A local copy of verification's decisions, fed only by its events (consumers.py, front_desk/queries.py;
# migration 0004), so the Suivi list is one query and never reads verification's database.
# `changed_at` is the occurred_at of the last event applied: an older event arriving later is ignored.
identity_states = Table(
    "identity_states",
    metadata,
    Column("account_id", Uuid, primary_key=True),
    Column("validated", Boolean, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

association_states = Table(
    "association_states",
    metadata,
    Column("account_id", Uuid, primary_key=True),
    Column("person_id", Uuid, primary_key=True),
    Column("validated", Boolean, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# --- account links ---
# Accounts' NAM-linked groups, fed only by AccountsLinked (migration 0006): an account sees and acts on
# the appointments of every account of its group. `linked_at` is the occurred_at of the event applied,
# so an older event arriving late changes nothing.
account_links = Table(
    "account_links",
    metadata,
    Column("account_id", Uuid, primary_key=True),
    Column("group_id", Uuid, nullable=False, index=True),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)

# --- shared children ---
# From accounts' DependantsLinked: the same child in several parents' accounts, each association validated.
dependant_links = Table(
    "dependant_links",
    metadata,
    Column("person_id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=False, index=True),
    Column("group_id", Uuid, nullable=False, index=True),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)

# --- history after authentication ---
# Who a clinic validated, reduced to the key an appointment booked without an account is matched on
# (migration 0008): NAM and birth date as one keyed digest (shared.nam.identity_key), never a name.
# The holder's comes from IdentityValidated, a dependant's from accounts' DependantIdentified; whether the
# person is validated right now stays in identity_states / association_states (a revocation hides at once).
validated_people = Table(
    "validated_people",
    metadata,
    Column("account_id", Uuid, primary_key=True),
    Column("person_id", Uuid, primary_key=True),  # the account id for the holder
    Column("identity_key", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
# Who booked for the patient, as the console's association window names them (migration 0005).
appointments.append_column(Column("holder_name", Text))
# NAM and birth date as typed in a booking made without an account, as one keyed digest (never the NAM).
appointments.append_column(Column("identity_key", Text))
Index(
    "appointments_without_account_by_identity",
    appointments.c.identity_key,
    postgresql_where=and_(appointments.c.account_id.is_(None), appointments.c.identity_key.isnot(None)),
)

# One person cannot hold two live appointments at overlapping times (migrations 0002, 0012). The GiST index
# compares the digest of the person key, a fixed 16-byte uuid: cheaper on every insert than the key's text.
appointments.append_constraint(
    ExcludeConstraint(
        (cast(func.md5(appointments.c.person_key), UUID), "="),
        (appointments.c.during, "&&"),
        name="appointments_no_overlap",
        using="gist",
        where=column("status").in_(("booked", "arrived", "checked-in")),
    )
)

# Bookings without an account per client address and hour (migration 0014): the address as a keyed HMAC,
# kept for the current and the previous hour only. Hour first: old hours go by a range of the primary key.
booking_sources = Table(
    "booking_sources",
    metadata,
    Column("hour", DateTime(timezone=True), nullable=False),
    Column("source_hmac", Text, nullable=False),
    Column("bookings", Integer, nullable=False),
    PrimaryKeyConstraint("hour", "source_hmac", name="booking_sources_pkey"),
)

# --- clinic rules and bookings for a caller (migration 0016) ---
# How late a citizen may cancel or move online: hours before the start, 0 = until the start (booking/rules.py).
services.append_column(Column("cancel_cutoff_hours", Integer, nullable=False, server_default="0"))
# What to bring or do before the visit, shown on the confirmation, in its messages and on the appointment page.
services.append_column(Column("instructions_fr", Text))
services.append_column(Column("instructions_en", Text))
# Seats a slot of the service gets unless its schedule says otherwise.
services.append_column(Column("default_capacity", Integer, nullable=False, server_default="1"))
services.append_constraint(
    CheckConstraint("cancel_cutoff_hours BETWEEN 0 AND 168", name="services_cancel_cutoff_in_range")
)
services.append_constraint(
    CheckConstraint("default_capacity BETWEEN 1 AND 500", name="services_default_capacity_in_range")
)
# "web": the citizen booked; "admin": staff booked for a caller on the phone or at the desk (as Clic Santé's FHIR
# guide tags it), booked_by_staff_id being that staff member.
appointments.append_column(Column("source", Text, nullable=False, server_default="web"))
appointments.append_column(Column("booked_by_staff_id", Uuid))
appointments.append_constraint(CheckConstraint("source IN ('web', 'admin')", name="appointments_known_source"))

# --- waitlist (waitlist/, migration 0017) ---
# How long a seat freed for the first person in line is held for them before it goes to the next.
establishments.append_column(Column("waitlist_hold_minutes", Integer, nullable=False, server_default="15"))
establishments.append_constraint(
    CheckConstraint("waitlist_hold_minutes BETWEEN 1 AND 1440", name="establishments_waitlist_hold_in_range")
)

# A person waiting for a seat of one service between two local dates, at some times of day. The patient's
# details are a snapshot, as an appointment's are: accepting an offer books with them.
waitlist_entries = Table(
    "waitlist_entries",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("service_id", Uuid, ForeignKey("services.id"), nullable=False),
    Column("account_id", Uuid),
    Column("person_id", Uuid),  # holder or dependant, when joined from an account
    Column("person_key", Text, nullable=False),  # booking.rules.person_key: one live entry per person and service
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("birth_date", Date),
    Column("sex", Text),
    Column("holder_name", Text),
    Column("email", Text),
    Column("phone", Text),
    Column("language", Text, nullable=False),
    Column("notify_email", Boolean, nullable=False),
    Column("notify_sms", Boolean, nullable=False),
    Column("from_date", Date, nullable=False),
    Column("to_date", Date, nullable=False),
    Column("times_of_day", ARRAY(Text), nullable=False),
    # waiting | offered | booked | left | ended
    Column("status", Text, nullable=False, server_default="waiting"),
    Column("joined_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Joined without an account: sha256 of the entry's link token (never the token).
    Column("token_hash", Text),
    Column("idempotency_key", Text),
    Column("request_fingerprint", Text),
    # Why an ended entry ended (migration 0018): dates_passed | offers_unanswered | dependant_removed.
    Column("ended_reason", Text),
    # Joined without an account: its e-mail and mobile as destinations (rules.email_key, E.164) and the client
    # address it came from (booking.rules.source_hmac), which bound what one client can put in the lines.
    Column("email_key", Text),
    Column("phone_key", Text),
    Column("source_hmac", Text),
    CheckConstraint(
        "status IN ('waiting', 'offered', 'booked', 'left', 'ended')", name="waitlist_entries_known_status"
    ),
    CheckConstraint(
        "ended_reason IN ('dates_passed', 'offers_unanswered', 'dependant_removed')",
        name="waitlist_entries_known_end",
    ),
    CheckConstraint("from_date <= to_date", name="waitlist_entries_dates_ordered"),
    # The line the offer matcher walks, in join order.
    Index(
        "waitlist_entries_line",
        "service_id",
        "joined_at",
        postgresql_where=column("status") == "waiting",
    ),
    # One live entry per person and service: a second join is refused (already_waiting).
    Index(
        "waitlist_entries_one_live_per_person",
        "service_id",
        "person_key",
        unique=True,
        postgresql_where=column("status").in_(("waiting", "offered")),
    ),
    Index(
        "waitlist_entries_idempotency",
        "idempotency_key",
        unique=True,
        postgresql_where=column("idempotency_key").isnot(None),
    ),
    Index("waitlist_entries_by_account", "account_id", postgresql_where=column("account_id").isnot(None)),
    # Without an account, one live entry per service and destination (already_waiting), whatever the +tag.
    *(
        Index(
            f"waitlist_entries_one_live_per_{key}",
            "service_id",
            key,
            unique=True,
            postgresql_where=column("status").in_(("waiting", "offered")) & column(key).isnot(None),
        )
        for key in ("email_key", "phone_key")
    ),
    Index(
        "waitlist_entries_live_by_source",
        "source_hmac",
        postgresql_where=column("status").in_(("waiting", "offered")) & column("source_hmac").isnot(None),
    ),
)

# A seat held for one entry until expires_at. While open, the seat is counted in slots.booked.
waitlist_offers = Table(
    "waitlist_offers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("entry_id", Uuid, ForeignKey("waitlist_entries.id"), nullable=False),
    Column("slot_id", Uuid, ForeignKey("slots.id"), nullable=False),
    # open | accepted | declined | expired
    Column("status", Text, nullable=False, server_default="open"),
    Column("offered_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("token_hash", Text, nullable=False),  # sha256 of the link's token (never the token)
    Column("appointment_id", Uuid, ForeignKey("appointments.id")),
    CheckConstraint("status IN ('open', 'accepted', 'declined', 'expired')", name="waitlist_offers_known_status"),
    # Never the same slot offered twice to one entry (after a decline or an expiry, it goes to the next).
    Index("waitlist_offers_once_per_slot", "entry_id", "slot_id", unique=True),
    # At most one open offer per entry.
    Index("waitlist_offers_one_open", "entry_id", unique=True, postgresql_where=column("status") == "open"),
    # What the matcher expires.
    Index("waitlist_offers_open_by_expiry", "expires_at", postgresql_where=column("status") == "open"),
)
