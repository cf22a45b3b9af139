"""Use cases of the appointments service. Each one owns its unit of work's commit."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from services.appointments import domain
from services.appointments.schemas import (
    AppointmentResponse,
    BookAppointmentRequest,
    BookedAppointmentResponse,
    EstablishmentResponse,
    PlaceResponse,
    ServiceResponse,
    SlotResponse,
)
from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    PatientContactV1,
    PlaceV1,
    ServiceOfferedV1,
)
from shared.unit_of_work import UnitOfWork

# One statement claims the seat and reads what the confirmation needs. The row lock taken by the
# UPDATE serialises concurrent claims on a slot and PostgreSQL re-checks `booked < capacity`
# after the lock, so a slot can never be oversold.
CLAIM_SEAT = text("""
UPDATE slots AS s SET booked = s.booked + 1
FROM services AS sv JOIN establishments AS e ON e.id = sv.establishment_id
WHERE s.id = :slot_id AND sv.id = s.service_id AND s.booked < s.capacity AND s.starts_at > now()
RETURNING s.starts_at, s.ends_at, sv.id AS service_id, sv.name_fr, sv.name_en,
          e.id AS establishment_id, e.name, e.address, e.city, e.postal_code, e.timezone
""")

SLOT_STATE = text("SELECT starts_at, capacity, booked FROM slots WHERE id = :slot_id")

INSERT_APPOINTMENT = text("""
INSERT INTO appointments
  (id, slot_id, account_id, status, first_name, last_name, email, phone, language, manage_token_hash)
VALUES (:id, :slot_id, :account_id, 'booked', :first_name, :last_name, :email, :phone, :language, :manage_token_hash)
""")

APPOINTMENT_DETAILS = text("""
SELECT a.id, a.slot_id, a.status, a.first_name, a.last_name, a.email, a.phone, a.language, a.manage_token_hash,
       s.starts_at, s.ends_at, sv.id AS service_id, sv.name_fr, sv.name_en,
       e.id AS establishment_id, e.name, e.address, e.city, e.postal_code, e.timezone
FROM appointments a JOIN slots s ON s.id = a.slot_id JOIN services sv ON sv.id = s.service_id
JOIN establishments e ON e.id = sv.establishment_id
WHERE a.id = :id
""")


def _place(row: object) -> PlaceV1:
    return PlaceV1(
        establishment_id=row.establishment_id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        address=row.address,  # type: ignore[attr-defined]
        city=row.city,  # type: ignore[attr-defined]
        postal_code=row.postal_code,  # type: ignore[attr-defined]
        timezone=row.timezone,  # type: ignore[attr-defined]
    )


def _service(row: object) -> ServiceOfferedV1:
    return ServiceOfferedV1(service_id=row.service_id, name_fr=row.name_fr, name_en=row.name_en)  # type: ignore[attr-defined]


async def book_appointment(uow: UnitOfWork, request: BookAppointmentRequest) -> BookedAppointmentResponse:
    domain.require_contact(request.email, request.phone)
    async with uow:
        seat = (await uow.session.execute(CLAIM_SEAT, {"slot_id": request.slot_id})).first()
        if seat is None:
            state = (await uow.session.execute(SLOT_STATE, {"slot_id": request.slot_id})).first()
            raise domain.refusal_for(domain.SlotState(*state) if state else None, datetime.now(UTC))
        appointment_id = uuid.uuid4()
        token, token_hash = domain.new_manage_token()
        await uow.session.execute(
            INSERT_APPOINTMENT,
            {
                "id": appointment_id,
                "slot_id": request.slot_id,
                "account_id": None,
                "first_name": request.first_name,
                "last_name": request.last_name,
                "email": request.email,
                "phone": request.phone,
                "language": request.language,
                "manage_token_hash": token_hash,
            },
        )
        place, service = _place(seat), _service(seat)
        patient = PatientContactV1(
            first_name=request.first_name, last_name=request.last_name, email=request.email, phone=request.phone
        )
        uow.publish(
            AppointmentBooked(
                appointment_id=appointment_id,
                slot_id=request.slot_id,
                account_id=None,
                starts_at=seat.starts_at,
                ends_at=seat.ends_at,
                place=place,
                service=service,
                patient=patient,
                language=request.language,
                manage_token=token,
            )
        )
        await uow.commit()
    return BookedAppointmentResponse(
        id=appointment_id,
        status=domain.BOOKED,
        starts_at=seat.starts_at,
        ends_at=seat.ends_at,
        place=PlaceResponse(**place.model_dump()),
        service=ServiceResponse(**service.model_dump()),
        first_name=request.first_name,
        last_name=request.last_name,
        language=request.language,
        manage_token=token,
    )


async def cancel_appointment(uow: UnitOfWork, appointment_id: uuid.UUID, token: str) -> AppointmentResponse:
    async with uow:
        row = (await uow.session.execute(APPOINTMENT_DETAILS, {"id": appointment_id})).first()
        # A wrong token answers exactly like a missing appointment: ids cannot be probed.
        if row is None or not domain.token_matches(token, row.manage_token_hash):
            raise domain.APPOINTMENT_NOT_FOUND
        locked = (
            await uow.session.execute(
                text("SELECT status FROM appointments WHERE id = :id FOR UPDATE"), {"id": appointment_id}
            )
        ).scalar_one()
        if locked not in domain.CANCELLABLE:
            raise domain.cannot_cancel(locked)
        await uow.session.execute(
            text("UPDATE appointments SET status = 'cancelled', cancelled_at = now() WHERE id = :id"),
            {"id": appointment_id},
        )
        await uow.session.execute(text("UPDATE slots SET booked = booked - 1 WHERE id = :id"), {"id": row.slot_id})
        uow.publish(
            AppointmentCancelled(
                appointment_id=appointment_id,
                slot_id=row.slot_id,
                starts_at=row.starts_at,
                place=_place(row),
                service=_service(row),
                patient=PatientContactV1(
                    first_name=row.first_name, last_name=row.last_name, email=row.email, phone=row.phone
                ),
                language=row.language,
            )
        )
        await uow.commit()
    return _appointment_response(row, status=domain.CANCELLED)


def _appointment_response(row: object, status: str) -> AppointmentResponse:
    return AppointmentResponse(
        id=row.id,  # type: ignore[attr-defined]
        status=status,
        starts_at=row.starts_at,  # type: ignore[attr-defined]
        ends_at=row.ends_at,  # type: ignore[attr-defined]
        place=PlaceResponse(**_place(row).model_dump()),
        service=ServiceResponse(**_service(row).model_dump()),
        first_name=row.first_name,  # type: ignore[attr-defined]
        last_name=row.last_name,  # type: ignore[attr-defined]
        language=row.language,  # type: ignore[attr-defined]
    )


async def list_establishments(uow: UnitOfWork, limit: int, offset: int) -> list[EstablishmentResponse]:
    async with uow:
        rows = (
            await uow.session.execute(
                text("""
                SELECT e.id, e.name, e.address, e.city, e.postal_code, e.latitude, e.longitude,
                       coalesce(json_agg(json_build_object('service_id', sv.id, 'name_fr', sv.name_fr,
                                'name_en', sv.name_en)) FILTER (WHERE sv.id IS NOT NULL), '[]') AS services
                FROM establishments e LEFT JOIN services sv ON sv.establishment_id = e.id
                GROUP BY e.id ORDER BY e.name LIMIT :limit OFFSET :offset
                """),
                {"limit": limit, "offset": offset},
            )
        ).all()
    return [EstablishmentResponse.model_validate(row._asdict()) for row in rows]


async def list_free_slots(
    uow: UnitOfWork, service_id: uuid.UUID, date_from: datetime, date_to: datetime, limit: int
) -> list[SlotResponse]:
    async with uow:
        rows = (
            await uow.session.execute(
                text("""
                SELECT id, service_id, starts_at, ends_at, capacity - booked AS seats_left FROM slots
                WHERE service_id = :service_id AND starts_at >= greatest(:date_from, now()) AND starts_at < :date_to
                  AND booked < capacity
                ORDER BY starts_at LIMIT :limit
                """),
                {"service_id": service_id, "date_from": date_from, "date_to": date_to, "limit": limit},
            )
        ).all()
    return [SlotResponse.model_validate(row._asdict()) for row in rows]
