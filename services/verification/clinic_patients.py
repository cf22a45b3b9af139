"""Whom a clinic may validate: the people it has an appointment with, as appointments' events tell it.

Before this, a clerk could validate any account id (and so have it linked to anyone's appointments,
issue 18 finding 2). Verification keeps its own read model of who has an appointment where, fed by
AppointmentBooked / Rescheduled / Cancelled and by account events, and never reads appointments' tables.

Only bookings made from an account are kept (ids only): a booking without an account names no account
a clerk could validate. The event handlers run in the consumer's unit of work.
"""

import uuid

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert

from services.verification.clinic_rules import NOT_A_PATIENT_HERE, NOT_PATIENTS_HERE, PATIENT_NOT_HERE
from services.verification.models import clinic_patients
from shared.contracts.appointments import AppointmentBooked, AppointmentCancelled, AppointmentRescheduled
from shared.unit_of_work import UnitOfWork


async def on_appointment_booked(uow: UnitOfWork, event: AppointmentBooked) -> None:
    if event.account_id is None:
        return
    await uow.session.execute(
        insert(clinic_patients)
        .values(
            appointment_id=event.appointment_id,
            establishment_id=event.place.establishment_id,
            account_id=event.account_id,
            # Older v1 payloads have no person_id: those were booked for the holder.
            person_id=event.person_id or event.account_id,
            starts_at=event.starts_at,
        )
        .on_conflict_do_nothing(index_elements=[clinic_patients.c.appointment_id])
    )


async def on_appointment_rescheduled(uow: UnitOfWork, event: AppointmentRescheduled) -> None:
    await uow.session.execute(
        update(clinic_patients)
        .where(clinic_patients.c.appointment_id == event.appointment_id)
        .values(establishment_id=event.place.establishment_id, starts_at=event.starts_at)
    )


async def on_appointment_cancelled(uow: UnitOfWork, event: AppointmentCancelled) -> None:
    await uow.session.execute(delete(clinic_patients).where(clinic_patients.c.appointment_id == event.appointment_id))


async def forget(uow: UnitOfWork, account_id: uuid.UUID, person_ids: list[uuid.UUID] | None = None) -> None:
    """The account is deleted (every person), or a dependant left it: appointments keep the clinic's
    record, but they no longer tie the person to this account."""
    condition = clinic_patients.c.account_id == account_id
    if person_ids is not None:
        condition = and_(condition, clinic_patients.c.person_id.in_(person_ids))
    await uow.session.execute(delete(clinic_patients).where(condition))


async def require_patient(
    uow: UnitOfWork, establishment_id: uuid.UUID, account_id: uuid.UUID, person_id: uuid.UUID | None = None
) -> None:
    """Raises 404 unless an appointment at the establishment was booked from the account
    (for `person_id` when given: the patient whose association is validated; any of its people otherwise:
    a parent is identified at the desk when they bring their child)."""
    condition = and_(clinic_patients.c.establishment_id == establishment_id, clinic_patients.c.account_id == account_id)
    if person_id is not None:
        condition = and_(condition, clinic_patients.c.person_id == person_id)
    if not (await uow.session.execute(select(exists().where(condition)))).scalar():
        raise NOT_A_PATIENT_HERE if person_id is None else PATIENT_NOT_HERE


async def require_patients(uow: UnitOfWork, establishment_id: uuid.UUID, account_ids: list[uuid.UUID]) -> None:
    """All or nothing: one account without an appointment here refuses the whole read."""
    known = set(
        (
            await uow.session.execute(
                select(clinic_patients.c.account_id)
                .where(
                    clinic_patients.c.establishment_id == establishment_id,
                    clinic_patients.c.account_id.in_(set(account_ids)),
                )
                .distinct()
            )
        ).scalars()
    )
    if not set(account_ids) <= known:
        raise NOT_PATIENTS_HERE
