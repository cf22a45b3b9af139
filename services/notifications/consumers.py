"""Event handlers of the notifications service.

Most messages are queued in the delivery log and sent by the dispatcher. Two kinds are sent inline,
from the handler, because the log must not keep what they carry: verification codes (the code) and
the account deletion confirmation (the address of someone who asked to be forgotten).

Appointment messages (confirmation, cancellation and reschedule notices, reminders) go to every channel
of the event's `notify_channels` the patient has an address for, else to whichever contact exists.

Messages anybody can make us send (a sign-up attempt's notice, the notices of a booking made without an
account) are limited per destination (destination_limits): past the limit they are recorded as suppressed.
"""

import uuid
from collections.abc import Callable

import structlog

from services.notifications import booking_record, destination_limits, reminder_window, reminders, service
from services.notifications.appointment_messages import (
    AppointmentDetails,
    booking_confirmation,
    cancellation_notice,
    reschedule_notice,
)
from services.notifications.channels import EMAIL, SMS, Channels
from services.notifications.clock import Clock
from services.notifications.destinations import destinations
from services.notifications.rendering import (
    RenderedMessage,
    account_deletion_confirmation,
    email_changed_notice,
    holder_notice,
    minutes_left,
    registration_attempt_notice,
    verification_code,
)
from services.notifications.service import DeliveryDispatcher
from services.notifications.settings import NotificationsSettings
from shared.consumer import Handler
from shared.contracts.accounts import (
    AccountDeleted,
    ContactChanged,
    HolderNoticeRequested,
    RegistrationAttemptedOnExistingAccount,
)
from shared.contracts.appointments import AppointmentBooked, AppointmentCancelled, AppointmentRescheduled
from shared.contracts.appointments import Channel as AppointmentChannel
from shared.contracts.verification import CodeIssued
from shared.messages import Contract, EventEnvelope
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

# Their handlers send inline: each is applied in a transaction of its own (see shared.consumer).
SENT_INLINE = (CodeIssued, AccountDeleted)


def handlers(
    settings: NotificationsSettings, dispatcher: DeliveryDispatcher, channels: Channels, clock: Clock
) -> dict[type[Contract], Handler]:
    anonymous_booking_limit = settings.anonymous_booking_notice_limit()
    registration_limit = settings.registration_notice_limit()

    async def queue_notices(
        uow: UnitOfWork,
        envelope: EventEnvelope,
        kind: str,
        to: dict[AppointmentChannel, str],
        language: str,
        message_for: Callable[[AppointmentChannel], RenderedMessage],
        account_id: uuid.UUID | None,
        limited: bool,
    ) -> None:
        """`limited`: the booker of a booking without an account asked for it, to an address nobody proved."""
        for channel, recipient in to.items():
            suppressed = limited and await destination_limits.reached(uow, anonymous_booking_limit, recipient)
            await service.record_delivery(
                uow,
                envelope.id,
                kind,
                channel,
                recipient,
                language,
                message_for(channel),
                account_id=account_id,
                suppressed=suppressed,
            )
        if to:
            uow.after_commit(dispatcher.wake)

    async def on_appointment_booked(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AppointmentBooked)
        chosen = destinations(event.patient, event.notify_channels)
        details = AppointmentDetails.of(event, named=event.account_id is not None)
        # Rendered before the staleness check, so that the whole booking is written in one statement; a
        # stale booking (overtaken by its cancellation or move) is rare, and then its rendering is wasted.
        confirmations = {
            channel: (recipient, booking_confirmation(event, settings.portal_base_url, channel))
            for channel, recipient in chosen.items()
        }
        reminders_due = (
            reminder_window.plan(details.starts_at, settings.reminder_offsets_hours, details.timezone, clock.now())
            if chosen
            else {}
        )
        recorded = await booking_record.record_booking(
            uow,
            envelope.id,
            envelope.occurred_at,
            details,
            event.account_id,
            event.manage_token,
            confirmations,
            reminders_due,
            anonymous_booking_limit,
        )
        if not recorded:
            # Overtaken by its cancellation or move: a confirmation now would contradict their notices.
            log.info("stale_event_ignored", event_type=envelope.type, appointment_id=str(event.appointment_id))
            return
        if chosen:
            uow.after_commit(dispatcher.wake)

    async def on_appointment_cancelled(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AppointmentCancelled)
        if not await reminders.advance_appointment(uow, event.appointment_id, "cancelled", envelope.occurred_at):
            log.info("stale_event_ignored", event_type=envelope.type, appointment_id=str(event.appointment_id))
            return
        account_id = await reminders.account_of(uow, event.appointment_id)
        await reminders.cancel_reminders(uow, event.appointment_id)
        await queue_notices(
            uow,
            envelope,
            "appointment_cancelled",
            destinations(event.patient, event.notify_channels),
            event.language,
            lambda channel: cancellation_notice(event, settings.portal_base_url, channel, named=account_id is not None),
            account_id,
            # A clinic's cancellation is the clinic's doing, not the booker's: it always goes out.
            limited=account_id is None and event.cancelled_by == "patient",
        )

    async def on_appointment_rescheduled(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AppointmentRescheduled)
        if not await reminders.advance_appointment(uow, event.appointment_id, "booked", envelope.occurred_at):
            log.info("stale_event_ignored", event_type=envelope.type, appointment_id=str(event.appointment_id))
            return
        account_id = await reminders.account_of(uow, event.appointment_id)
        await reminders.cancel_reminders(uow, event.appointment_id)
        chosen = destinations(event.patient, event.notify_channels)
        await queue_notices(
            uow,
            envelope,
            "appointment_rescheduled",
            chosen,
            event.language,
            lambda channel: reschedule_notice(event, settings.portal_base_url, channel, named=account_id is not None),
            account_id,
            limited=account_id is None,
        )
        await reminders.plan_reminders(
            uow,
            envelope.id,
            AppointmentDetails.of(event, named=account_id is not None),
            chosen,
            event.manage_token,
            account_id,
            settings.reminder_offsets_hours,
            clock.now(),
        )

    async def on_code_issued(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, CodeIssued)
        now = clock.now()
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
        message = registration_attempt_notice(
            event.channel, event.language, settings.portal_base_url, event.staff_account
        )
        # One per attempt, to an address the one who tries need not own: limited per destination.
        suppressed = await destination_limits.reached(uow, registration_limit, event.destination)
        await service.record_delivery(
            uow,
            envelope.id,
            "registration_attempted",
            event.channel,
            event.destination,
            event.language,
            message,
            suppressed=suppressed,
        )
        if not suppressed:
            uow.after_commit(dispatcher.wake)

    async def on_contact_changed(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, ContactChanged)
        old = event.old_destination
        if event.channel != EMAIL or not old or old.strip().lower() == event.new_destination.strip().lower():
            return
        await service.record_delivery(
            uow,
            envelope.id,
            "email_changed",
            EMAIL,
            old,
            event.language,
            email_changed_notice(event, settings.portal_base_url),
            account_id=event.account_id,
        )
        uow.after_commit(dispatcher.wake)

    async def on_holder_notice(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, HolderNoticeRequested)
        await service.record_delivery(
            uow,
            event.notice_id,
            event.topic,
            event.channel,
            event.destination,
            event.language,
            holder_notice(event, settings.portal_base_url),
            account_id=event.account_id,
        )
        uow.after_commit(dispatcher.wake)

    async def on_account_deleted(uow: UnitOfWork, event: Contract, envelope: EventEnvelope) -> None:
        assert isinstance(event, AccountDeleted)
        contacts = [c for c in (event.email, event.phone) if c]
        erased = await service.erase_person(uow, event.account_id, contacts)
        forgotten = await reminders.erase_person(uow, event.account_id, contacts)
        log.info("person_erased", account_id=str(event.account_id), deliveries=erased, reminders=forgotten)
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
        AppointmentCancelled: on_appointment_cancelled,
        AppointmentRescheduled: on_appointment_rescheduled,
        CodeIssued: on_code_issued,
        RegistrationAttemptedOnExistingAccount: on_registration_attempted,
        ContactChanged: on_contact_changed,
        AccountDeleted: on_account_deleted,
        HolderNoticeRequested: on_holder_notice,
    }
