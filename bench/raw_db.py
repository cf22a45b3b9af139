"""The booking statements of services/appointments/booking/queries.py, replayed on a bare asyncpg pool.

It measures what PostgreSQL on this machine can do for the hot path with no HTTP, no ORM and no
event loop of a service in between: the ceiling the gateway run is compared with.
"""

import random
import uuid
from datetime import timedelta

import asyncpg

from bench import cpu
from bench.catalogue import ESTABLISHMENT, PATIENT, SERVICE, SLOT_MINUTES, Catalogue
from bench.loadgen import LoadResult, closed_loop
from services.appointments.booking.queries import APPOINTMENT_COLUMNS, BOOK, read_slot_details
from services.appointments.booking.rules import manage_token, person_key
from shared.contracts.appointments import AppointmentBooked, PatientContactV1, PlaceV1, ServiceOfferedV1
from shared.ids import new_id

# Placeholders rendered once through the real contract, then swapped per transaction: the body has the
# size and shape the service writes without paying pydantic in the load generator.
_EVENT, _APPOINTMENT, _SLOT = (str(uuid.UUID(int=n)) for n in (1, 2, 3))
_TOKEN, _CORRELATION = "manage-token-placeholder", "correlation-placeholder"


class EnvelopeTemplate:
    def __init__(self, catalogue: Catalogue) -> None:
        event = AppointmentBooked(
            appointment_id=uuid.UUID(_APPOINTMENT),
            slot_id=uuid.UUID(_SLOT),
            account_id=None,
            starts_at=catalogue.first_starts_at,
            ends_at=catalogue.first_starts_at + timedelta(minutes=SLOT_MINUTES),
            place=PlaceV1(establishment_id=catalogue.establishment_id, **ESTABLISHMENT),
            service=ServiceOfferedV1(service_id=catalogue.service_id, **SERVICE),
            patient=PatientContactV1(**PATIENT),
            language="fr",
            manage_token=_TOKEN,
        )
        envelope = event.to_envelope(correlation_id=_CORRELATION).model_copy(update={"id": uuid.UUID(_EVENT)})
        self.routing_key = envelope.published_key
        self._json = envelope.model_dump_json()

    def render(
        self, event_id: uuid.UUID, appointment_id: uuid.UUID, slot_id: uuid.UUID, token: str, correlation: str
    ) -> str:
        return (
            self._json.replace(_EVENT, str(event_id))
            .replace(_APPOINTMENT, str(appointment_id))
            .replace(_SLOT, str(slot_id))
            .replace(_TOKEN, token)
            .replace(_CORRELATION, correlation)
        )


SECRET = b"bench-secret"


class RawBooking:
    def __init__(self, pool: asyncpg.Pool, slots: list[uuid.UUID], template: EnvelopeTemplate) -> None:
        self._pool = pool
        self._slots = slots
        self._template = template

    async def __call__(self) -> str | None:
        slot_id = random.choice(self._slots)
        # Ids made as the service makes them (shared/ids.py): their order decides which index pages change.
        appointment_id, event_id, correlation = new_id(), new_id(), uuid.uuid4().hex
        token = manage_token(SECRET, appointment_id)
        email = f"raw{appointment_id.hex}@example.org"
        # What the service binds for a booking made without an account; columns not named here are NULL.
        values = dict.fromkeys(APPOINTMENT_COLUMNS) | {
            "person_key": person_key(None, email, None),
            "language": "fr",
            "notify_email": True,
            "notify_sms": False,
            "source": "web",
            **PATIENT,
            "email": email,
        }
        body = self._template.render(event_id, appointment_id, slot_id, token, correlation)
        # Like the service: the slot's details, then one statement for seat, appointment and outbox row.
        async with self._pool.acquire() as conn:
            seat = await read_slot_details(conn, slot_id)
            if seat is None:
                return "unknown slot"
            claimed = await conn.fetchval(
                BOOK, slot_id, seat.starts_at, seat.ends_at, appointment_id,
                *(values[column] for column in APPOINTMENT_COLUMNS),
                event_id, self._template.routing_key, body, correlation,
            )  # fmt: skip
        return None if claimed is not None else "no seat claimed"


def _postgres() -> cpu.Snapshot:
    return cpu.snapshot({"postgres (whole server)": cpu.pids_named("postgres")})


async def run_raw(
    dsn: str, catalogue: Catalogue, concurrency: int, seconds: float
) -> tuple[LoadResult, dict[str, float]]:
    """The run's result and the cores used during it (taken while the pool's backends are alive)."""
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    try:
        booking = RawBooking(pool, catalogue.raw_slots, EnvelopeTemplate(catalogue))
        before = _postgres()
        result = await closed_loop(booking, concurrency, seconds)
        cores = cpu.cores_used(before, _postgres(), result.wall_seconds)
        # No relay may ever ship these: they would become emails nobody booked through the gateway.
        await pool.execute("DELETE FROM outbox")
    finally:
        await pool.close()
    return result, cores
