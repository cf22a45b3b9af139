"""Event handlers of the verification service."""

from collections.abc import Callable
from datetime import UTC, datetime

from services.verification import association_requests, audit_trail, clinic_patients, clinic_validations, service
from services.verification.clinic_rules import ACCOUNT_DELETED, DEPENDANT_REMOVED
from services.verification.settings import VerificationSettings
from shared.consumer import Handler
from shared.contracts.accounts import (
    AccountDeleted,
    CodeRequested,
    DependantRemoved,
    NamDiscrepancyFound,
    ProfileChanged,
)
from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    PatientRecordsViewed,
)
from shared.messages import Contract, EventEnvelope
from shared.unit_of_work import UnitOfWork


def handlers(settings: VerificationSettings) -> dict[type[Contract], Handler]:
    async def on_code_requested(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, CodeRequested)
        await service.issue_challenge(uow, event, settings, causation_id=envelope.id)

    async def on_account_deleted(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AccountDeleted)
        await service.forget_account(uow, event.account_id)
        await clinic_validations.forget_validations(uow, event, causation_id=envelope.id)
        await association_requests.withdraw(uow, event.account_id, None, ACCOUNT_DELETED, datetime.now(UTC))
        await clinic_patients.forget(uow, event.account_id)

    async def on_profile_changed(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, ProfileChanged)
        await clinic_validations.on_profile_changed(uow, event, causation_id=envelope.id)

    async def on_dependant_removed(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, DependantRemoved)
        await clinic_validations.on_dependant_removed(uow, event, causation_id=envelope.id)
        await association_requests.withdraw(
            uow, event.account_id, [event.dependant_id], DEPENDANT_REMOVED, datetime.now(UTC)
        )
        await clinic_patients.forget(uow, event.account_id, [event.dependant_id])

    async def on_nam_discrepancy(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, NamDiscrepancyFound)
        await clinic_validations.on_nam_discrepancy(uow, event, causation_id=envelope.id)

    async def on_appointment_booked(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AppointmentBooked)
        await clinic_patients.on_appointment_booked(uow, event)

    async def on_appointment_rescheduled(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AppointmentRescheduled)
        await clinic_patients.on_appointment_rescheduled(uow, event)

    async def on_appointment_cancelled(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AppointmentCancelled)
        await clinic_patients.on_appointment_cancelled(uow, event)

    async def on_patient_records_viewed(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, PatientRecordsViewed)
        await audit_trail.record_staff_read(uow, event)

    return {
        CodeRequested: on_code_requested,
        AccountDeleted: on_account_deleted,
        ProfileChanged: on_profile_changed,
        DependantRemoved: on_dependant_removed,
        PatientRecordsViewed: on_patient_records_viewed,
        NamDiscrepancyFound: on_nam_discrepancy,
        AppointmentBooked: on_appointment_booked,
        AppointmentRescheduled: on_appointment_rescheduled,
        AppointmentCancelled: on_appointment_cancelled,
    }


def _booked_without_account(event: Contract) -> bool:
    return isinstance(event, AppointmentBooked) and event.account_id is None


# Verification hears every booking for the few made from an account (its clinic_patients): a booking without
# an account, most of a rush, is acked without a transaction.
IGNORE_WHEN: dict[type[Contract], Callable[[Contract], bool]] = {AppointmentBooked: _booked_without_account}
