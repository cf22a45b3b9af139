"""Event handlers of the notifications service.

Most messages are queued in the delivery log and sent by the dispatcher. Two kinds are sent inline,
from the handler, because the log must not keep what they carry: verification codes (the code) and
the account deletion confirmation (the address of someone who asked to be forgotten).
"""

from datetime import UTC, datetime

import structlog

from services.notifications import service
from services.notifications.channels import EMAIL, SMS, Channels
from services.notifications.rendering import (
    account_deletion_confirmation,
    booking_confirmation,
    email_changed_notice,
    minutes_left,
    registration_attempt_notice,
    verification_code,
)
from services.notifications.service import DeliveryDispatcher
from services.notifications.settings import NotificationsSettings
from shared.consumer import Handler
from shared.contracts.accounts import AccountDeleted, ContactChanged, RegistrationAttemptedOnExistingAccount
from shared.contracts.appointments import AppointmentBooked
from shared.contracts.verification import CodeIssued
from shared.messages import Contract, EventEnvelope
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)


def handlers(
    settings: NotificationsSettings, dispatcher: DeliveryDispatcher, channels: Channels
) -> dict[type[Contract], Handler]:
    async def on_appointment_booked(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AppointmentBooked)
        if event.patient.email:
            message = booking_confirmation(event, settings.portal_base_url)
            await service.record_delivery(
                uow,
                envelope,
                "appointment_booked",
                EMAIL,
                event.patient.email,
                event.language,
                message,
                account_id=event.account_id,
            )
            uow.after_commit(dispatcher.wake)

    async def on_code_issued(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, CodeIssued)
        now = datetime.now(UTC)
        if minutes_left(event.expires_at, now) == 0:
            # Held up past its expiry (e.g. a long broker outage): useless, and confusing if it arrived.
            log.warning("code_expired_before_sending", challenge_id=str(event.challenge_id))
            return
        await service.send_inline(
            uow,
            channels,
            envelope,
            "code_issued",
            event.channel,
            event.destination,
            event.language,
            verification_code(event, now),
            logged_recipient=event.destination,
            logged_body=service.CODE_WITHHELD,
            account_id=event.account_id,
        )

    async def on_registration_attempted(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, RegistrationAttemptedOnExistingAccount)
        message = registration_attempt_notice(event.channel, event.language, settings.portal_base_url)
        await service.record_delivery(
            uow, envelope, "registration_attempted", event.channel, event.destination, event.language, message
        )
        uow.after_commit(dispatcher.wake)

    async def on_contact_changed(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, ContactChanged)
        old = event.old_destination
        if event.channel != EMAIL or not old or old.strip().lower() == event.new_destination.strip().lower():
            return
        await service.record_delivery(
            uow,
            envelope,
            "email_changed",
            EMAIL,
            old,
            event.language,
            email_changed_notice(event, settings.portal_base_url),
            account_id=event.account_id,
        )
        uow.after_commit(dispatcher.wake)

    async def on_account_deleted(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AccountDeleted)
        erased = await service.erase_person(uow, event.account_id, [c for c in (event.email, event.phone) if c])
        log.info("person_erased", account_id=str(event.account_id), deliveries=erased)
        destination, channel = (event.email, EMAIL) if event.email else (event.phone, SMS)
        if destination is None:
            return
        # Sent in the same transaction as the erasure: a failed send rolls both back and the broker retries.
        await service.send_inline(
            uow,
            channels,
            envelope,
            "account_deleted",
            channel,
            destination,
            event.language,
            account_deletion_confirmation(channel, event.language),
            logged_recipient=service.ERASED,
            logged_body="",
        )

    return {
        AppointmentBooked: on_appointment_booked,
        CodeIssued: on_code_issued,
        RegistrationAttemptedOnExistingAccount: on_registration_attempted,
        ContactChanged: on_contact_changed,
        AccountDeleted: on_account_deleted,
    }
