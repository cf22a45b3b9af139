"""Event handlers of the verification service, each registered from its `event` annotation."""

from datetime import UTC, datetime

from services.verification.association_requests import use_cases as association_requests
from services.verification.codes import use_cases as codes
from services.verification.settings import VerificationSettings
from services.verification.validations import use_cases as validations
from services.verification.validations.rules import ACCOUNT_DELETED, DEPENDANT_REMOVED
from shared.contracts.accounts import (
    AccountDeleted,
    CodeRequested,
    DependantRemoved,
    NamDiscrepancyFound,
    ProfileChanged,
    StaffAccessChanged,
    StaffInvited,
)
from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    EstablishmentChanged,
    PatientRecordsViewed,
)
from shared.messages import Contract, EventEnvelope
from shared.unit_of_work import UnitOfWork


class CodeIssuer:
    """Issuing a code takes the service's keys and limits: built in main.py with the settings."""

    def __init__(self, settings: VerificationSettings) -> None:
        self._settings = settings

    async def on_code_requested(self, uow: UnitOfWork, event: CodeRequested, envelope: EventEnvelope) -> None:
        await codes.issue_challenge(uow, event, self._settings, causation_id=envelope.id)


async def on_account_deleted(uow: UnitOfWork, event: AccountDeleted, envelope: EventEnvelope) -> None:
    await codes.forget_account(uow, event.account_id)
    await validations.forget_validations(uow, event, causation_id=envelope.id)
    await association_requests.withdraw_requests(uow, event.account_id, None, ACCOUNT_DELETED, datetime.now(UTC))
    await validations.forget_patients(uow, event.account_id)


async def on_profile_changed(uow: UnitOfWork, event: ProfileChanged, envelope: EventEnvelope) -> None:
    await validations.invalidate_changed_identity(uow, event, causation_id=envelope.id)


async def on_dependant_removed(uow: UnitOfWork, event: DependantRemoved, envelope: EventEnvelope) -> None:
    await validations.revoke_removed_dependant(uow, event, causation_id=envelope.id)
    await association_requests.withdraw_requests(
        uow, event.account_id, [event.dependant_id], DEPENDANT_REMOVED, datetime.now(UTC)
    )
    await validations.forget_patients(uow, event.account_id, [event.dependant_id])


async def on_nam_discrepancy_found(uow: UnitOfWork, event: NamDiscrepancyFound, envelope: EventEnvelope) -> None:
    await validations.invalidate_discrepant_nam(uow, event, causation_id=envelope.id)


async def on_appointment_booked(uow: UnitOfWork, event: AppointmentBooked, envelope: EventEnvelope) -> None:
    await validations.add_patient(uow, event)
    await validations.record_caller_booking(uow, event, envelope.occurred_at)


async def on_appointment_rescheduled(uow: UnitOfWork, event: AppointmentRescheduled, envelope: EventEnvelope) -> None:
    await validations.move_patient(uow, event)
    await validations.record_caller_move(uow, event, envelope.occurred_at)


async def on_appointment_cancelled(uow: UnitOfWork, event: AppointmentCancelled, envelope: EventEnvelope) -> None:
    await validations.remove_patient(uow, event)
    await validations.record_caller_cancellation(uow, event, envelope.occurred_at)


async def on_patient_records_viewed(uow: UnitOfWork, event: PatientRecordsViewed) -> None:
    await validations.record_staff_read(uow, event)


async def on_staff_invited(uow: UnitOfWork, event: StaffInvited, envelope: EventEnvelope) -> None:
    await validations.record_staff_invited(uow, event, envelope.occurred_at)


async def on_staff_access_changed(uow: UnitOfWork, event: StaffAccessChanged) -> None:
    await validations.record_staff_access_changed(uow, event)


async def on_establishment_changed(uow: UnitOfWork, event: EstablishmentChanged) -> None:
    await validations.record_establishment_changed(uow, event)


# Those that need nothing but the unit of work and the event; main.py adds CodeIssuer's.
HANDLERS = (
    on_account_deleted,
    on_profile_changed,
    on_dependant_removed,
    on_nam_discrepancy_found,
    on_appointment_booked,
    on_appointment_rescheduled,
    on_appointment_cancelled,
    on_patient_records_viewed,
    on_staff_invited,
    on_staff_access_changed,
    on_establishment_changed,
)


# Verification keeps the bookings made from an account (its clinic_patients) or by a clerk for a caller (the
# audit log). Its queue is bound to those topics only, so a citizen's booking without an account, most of a rush,
# never reaches it; one published with the bare key, from before the topics, is acked without a transaction.
ONLY_TOPICS: dict[type[Contract], tuple[str, ...]] = {AppointmentBooked: ("account", "clerk")}
