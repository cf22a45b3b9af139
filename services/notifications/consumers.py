"""Event handlers of the notifications service: the methods of NotificationHandlers, built once in main.py
with what they need (settings, the dispatcher to wake, the channels for inline sends, the clock).

Most messages are queued in the delivery log and sent by the dispatcher. Three kinds are sent inline,
from the handler, because the log must not keep what they carry: verification codes (the code), staff
invitations (the link's token) and the account deletion confirmation (the address of someone who asked to
be forgotten).

Appointment messages (confirmation, cancellation and reschedule notices, reminders) go to every channel
of the event's `notify_channels` the patient has an address for, else to whichever contact exists.

A seat offered from a waitlist is sent inline too, keyed by the offer (its link is the offer's secret), at any
hour: the seat is held for minutes, so the 08:00-21:00 window of reminders would make it expire unseen.

Messages anybody can make us send (a sign-up attempt's notice, the notices of a booking made without an
account) are limited per destination (rules.DestinationLimit): past the limit they are recorded as suppressed.
"""

import structlog

from services.notifications import use_cases
from services.notifications.appointment_messages import cancellation_notice, reschedule_notice, seat_offer
from services.notifications.channels import Channels
from services.notifications.clock import Clock
from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.rendering import (
    account_deletion_confirmation,
    email_changed_notice,
    holder_notice,
    registration_attempt_notice,
    staff_invitation,
    verification_code,
)
from services.notifications.rules import (
    CODE_WITHHELD,
    EMAIL,
    ERASED,
    LINK_WITHHELD,
    STAFF_INVITATION,
    WAITLIST_OFFER,
    AppointmentDetails,
    booker_asked,
    deletion_confirmation_to,
    destinations,
    minutes_left,
    old_address_to_warn,
)
from services.notifications.settings import NotificationsSettings
from shared.contracts.accounts import (
    AccountDeleted,
    ContactChanged,
    HolderNoticeRequested,
    RegistrationAttemptedOnExistingAccount,
    StaffInvited,
)
from shared.contracts.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    WaitlistSeatOffered,
)
from shared.contracts.verification import CodeIssued
from shared.messages import EventEnvelope
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

# Their handlers send inline: each is applied in a transaction of its own (see shared.consumer).
SENT_INLINE = (CodeIssued, AccountDeleted, StaffInvited, WaitlistSeatOffered)


class NotificationHandlers:
    def __init__(
        self, settings: NotificationsSettings, dispatcher: DeliveryDispatcher, channels: Channels, clock: Clock
    ) -> None:
        """`channels` are the consumers' own, for inline sends (codes, deletion confirmations)."""
        self._settings = settings
        self._dispatcher = dispatcher
        self._channels = channels
        self._clock = clock
        self._anonymous_booking_limit = settings.anonymous_booking_notice_limit()
        self._registration_limit = settings.registration_notice_limit()

    async def on_appointment_booked(
        self, uow: UnitOfWork, events: list[AppointmentBooked], envelopes: list[EventEnvelope]
    ) -> None:
        """Takes runs of bookings (shared.consumer): a surge's confirmations are recorded in one round trip per
        consumer batch instead of one per booking."""
        outcomes = await use_cases.record_bookings(
            uow,
            list(zip(events, envelopes, strict=True)),
            self._settings.portal_base_url,
            self._settings.reminder_offsets_hours,
            self._clock.now(),
            self._anonymous_booking_limit,
        )
        for event, envelope, queued in zip(events, envelopes, outcomes, strict=True):
            if queued is None:
                # Overtaken by its cancellation or move: a confirmation now would contradict their notices.
                log.info("stale_event_ignored", event_type=envelope.type, appointment_id=str(event.appointment_id))
        if any(outcomes):
            uow.after_commit(self._dispatcher.wake)

    async def on_appointment_cancelled(
        self, uow: UnitOfWork, event: AppointmentCancelled, envelope: EventEnvelope
    ) -> None:
        advanced = await use_cases.advance_appointment(uow, event.appointment_id, "cancelled", envelope.occurred_at)
        if advanced is None:
            log.info("stale_event_ignored", event_type=envelope.type, appointment_id=str(event.appointment_id))
            return
        named = advanced.account_id is not None
        to = destinations(event.patient, event.notify_channels)
        await use_cases.queue_notices(
            uow,
            envelope.id,
            "appointment_cancelled",
            to,
            event.language,
            lambda channel: cancellation_notice(event, self._settings.portal_base_url, channel, named=named),
            advanced.account_id,
            # A clinic's cancellation is the clinic's doing, not the booker's: it always goes out.
            self._anonymous_booking_limit
            if booker_asked(advanced.account_id, by_clinic=event.cancelled_by != "patient")
            else None,
        )
        if to:
            uow.after_commit(self._dispatcher.wake)

    async def on_appointment_rescheduled(
        self, uow: UnitOfWork, event: AppointmentRescheduled, envelope: EventEnvelope
    ) -> None:
        advanced = await use_cases.advance_appointment(uow, event.appointment_id, "booked", envelope.occurred_at)
        if advanced is None:
            log.info("stale_event_ignored", event_type=envelope.type, appointment_id=str(event.appointment_id))
            return
        named = advanced.account_id is not None
        chosen = destinations(event.patient, event.notify_channels)
        await use_cases.queue_notices(
            uow,
            envelope.id,
            "appointment_rescheduled",
            chosen,
            event.language,
            lambda channel: reschedule_notice(event, self._settings.portal_base_url, channel, named=named),
            advanced.account_id,
            self._anonymous_booking_limit if booker_asked(advanced.account_id) else None,
        )
        if chosen:
            uow.after_commit(self._dispatcher.wake)
        await use_cases.plan_reminders(
            uow,
            envelope.id,
            AppointmentDetails.of(event, named=named),
            chosen,
            event.manage_token,
            advanced.account_id,
            self._settings.reminder_offsets_hours,
            self._clock.now(),
        )

    async def on_code_issued(self, uow: UnitOfWork, event: CodeIssued, envelope: EventEnvelope) -> None:
        now = self._clock.now()
        if minutes_left(event.expires_at, now) == 0:
            # Held up past its expiry (e.g. a long broker outage): useless, and confusing if it arrived.
            log.warning("code_expired_before_sending", challenge_id=str(event.challenge_id))
            return
        await use_cases.send_inline(
            uow,
            self._channels,
            envelope.id,
            "code_issued",
            event.channel,
            event.destination,
            event.language,
            verification_code(event, now),
            logged_recipient=event.destination,
            logged_body=CODE_WITHHELD,
            account_id=event.account_id,
        )

    async def on_staff_invited(self, uow: UnitOfWork, event: StaffInvited) -> None:
        """Sent inline like a code: the link is the invitation's secret, which the delivery log must not keep."""
        if event.expires_at <= self._clock.now():
            # Held up past its expiry (a long broker outage): a dead link would only confuse.
            log.warning("invitation_expired_before_sending", invitation_id=str(event.invitation_id))
            return
        # Keyed by the invitation, not the event: one e-mail per invitation.
        sent = await use_cases.send_once_inline(
            uow,
            self._channels,
            event.invitation_id,
            STAFF_INVITATION,
            EMAIL,
            event.email,
            event.language,
            staff_invitation(event, self._settings.portal_base_url),
            logged_body=LINK_WITHHELD,
        )
        if not sent:
            log.info("invitation_already_sent", invitation_id=str(event.invitation_id))

    async def on_waitlist_seat_offered(self, uow: UnitOfWork, event: WaitlistSeatOffered) -> None:
        """Sent inline like an invitation: the link accepts the seat, and the delivery log must not keep it.

        Not held to the reminders' 08:00-21:00 window: the seat is held for minutes (15 by default), and an
        offer kept until morning would only reach its person once it had gone to the next one."""
        now = self._clock.now()
        if event.expires_at <= now:
            # Held up past its hold (a long broker outage): the seat has gone back to the list already.
            log.warning("offer_expired_before_sending", offer_id=str(event.offer_id))
            return
        for channel, recipient in destinations(event.patient, event.notify_channels).items():
            message = seat_offer(event, self._settings.portal_base_url, channel, now)
            if event.account_id is None and await use_cases.limit_reached(
                uow, self._anonymous_booking_limit, recipient
            ):
                # An entry made without an account names an address nobody proved, like such a booking.
                await use_cases.record_delivery(
                    uow, event.offer_id, WAITLIST_OFFER, channel, recipient, event.language, message, suppressed=True
                )
                continue
            # Keyed by the offer, not the event: one message per offer and channel, whatever redelivers it.
            sent = await use_cases.send_once_inline(
                uow,
                self._channels,
                event.offer_id,
                WAITLIST_OFFER,
                channel,
                recipient,
                event.language,
                message,
                logged_body=LINK_WITHHELD,
                account_id=event.account_id,
            )
            if not sent:
                log.info("offer_already_sent", offer_id=str(event.offer_id), channel=channel)

    async def on_registration_attempted(
        self, uow: UnitOfWork, event: RegistrationAttemptedOnExistingAccount, envelope: EventEnvelope
    ) -> None:
        message = registration_attempt_notice(
            event.channel, event.language, self._settings.portal_base_url, event.staff_account
        )
        # One per attempt, to an address the one who tries need not own: limited per destination.
        suppressed = await use_cases.limit_reached(uow, self._registration_limit, event.destination)
        await use_cases.record_delivery(
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
            uow.after_commit(self._dispatcher.wake)

    async def on_contact_changed(self, uow: UnitOfWork, event: ContactChanged, envelope: EventEnvelope) -> None:
        old = old_address_to_warn(event.channel, event.old_destination, event.new_destination)
        if old is None:
            return
        await use_cases.record_delivery(
            uow,
            envelope.id,
            "email_changed",
            EMAIL,
            old,
            event.language,
            email_changed_notice(event, self._settings.portal_base_url),
            account_id=event.account_id,
        )
        uow.after_commit(self._dispatcher.wake)

    async def on_holder_notice(self, uow: UnitOfWork, event: HolderNoticeRequested) -> None:
        await use_cases.record_delivery(
            uow,
            event.notice_id,
            event.topic,
            event.channel,
            event.destination,
            event.language,
            holder_notice(event, self._settings.portal_base_url),
            account_id=event.account_id,
        )
        uow.after_commit(self._dispatcher.wake)

    async def on_account_deleted(self, uow: UnitOfWork, event: AccountDeleted, envelope: EventEnvelope) -> None:
        await use_cases.erase_person(uow, event.account_id, [event.email, event.phone])
        to = deletion_confirmation_to(event.email, event.phone)
        if to is None:
            return
        channel, destination = to
        # Sent in the same transaction as the erasure: a failed send rolls both back and the broker retries.
        await use_cases.send_inline(
            uow,
            self._channels,
            envelope.id,
            "account_deleted",
            channel,
            destination,
            event.language,
            account_deletion_confirmation(channel, event.language),
            logged_recipient=ERASED,
            logged_body="",
        )
