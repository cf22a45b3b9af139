"""Tables owned by the appointments service."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    Uuid,
    func,
    text,
)

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
    Column("booked", Integer, nullable=False, server_default=text("0")),
    # The last line of defence against overbooking, behind the conditional UPDATE.
    CheckConstraint("booked >= 0 AND booked <= capacity", name="slots_booked_within_capacity"),
    Index("slots_by_service_time", "service_id", "starts_at"),
)

appointments = Table(
    "appointments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("slot_id", Uuid, ForeignKey("slots.id"), nullable=False, index=True),
    Column("account_id", Uuid, index=True),
    # FHIR R4 Appointment.status
    Column("status", Text, nullable=False, server_default="booked"),
    # Snapshot of the patient as given at booking time.
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("email", Text),
    Column("phone", Text),
    Column("language", Text, nullable=False),
    Column("manage_token_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("cancelled_at", DateTime(timezone=True)),
)
