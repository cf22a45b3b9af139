"""Each handler is a typed method of NotificationHandlers: registered from its annotation, callable alone."""

import uuid
from datetime import UTC, datetime, timedelta

from services.notifications.channels import Channels
from services.notifications.consumers import SENT_INLINE, NotificationHandlers
from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.settings import NotificationsSettings
from services.notifications.tests.manual_clock import ManualClock
from shared.consumer import handled_event, route_handlers
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

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


class UntouchedUnitOfWork:
    """Fails on any use: the handler under test must decide, without the database, to do nothing."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the handler used the unit of work ({name})")


def handlers() -> NotificationHandlers:
    settings = NotificationsSettings(portal_base_url="https://portail.example")
    channels = Channels({}, settings.portal_base_url)
    dispatcher = DeliveryDispatcher(lambda: None, lambda: channels, 1, 1)  # type: ignore[arg-type,return-value]
    return NotificationHandlers(settings, dispatcher, channels, ManualClock(NOW))


def test_each_handler_is_registered_for_the_event_it_annotates():
    h = handlers()
    expected = {
        h.on_appointment_booked: AppointmentBooked,
        h.on_appointment_cancelled: AppointmentCancelled,
        h.on_appointment_rescheduled: AppointmentRescheduled,
        h.on_code_issued: CodeIssued,
        h.on_registration_attempted: RegistrationAttemptedOnExistingAccount,
        h.on_contact_changed: ContactChanged,
        h.on_account_deleted: AccountDeleted,
        h.on_holder_notice: HolderNoticeRequested,
        h.on_staff_invited: StaffInvited,
        h.on_waitlist_seat_offered: WaitlistSeatOffered,
    }
    assert {handler: handled_event(handler)[0] for handler in expected} == expected
    assert set(route_handlers(expected)) == {c.routing_key() for c in expected.values()}
    assert set(SENT_INLINE) <= set(expected.values())


async def test_a_phone_change_tells_nobody():
    event = ContactChanged(
        account_id=uuid.uuid4(), channel="sms", old_destination="+15145550100", new_destination="+15145550101",
        language="fr",
    )  # fmt: skip
    await handlers().on_contact_changed(UntouchedUnitOfWork(), event, event.to_envelope())  # type: ignore[arg-type]


async def test_a_code_past_its_expiry_is_not_sent():
    event = CodeIssued(
        challenge_id=uuid.uuid4(), account_id=uuid.uuid4(), purpose="change_email", channel="email",
        destination="marie@example.org", language="fr", code="123456", expires_at=NOW - timedelta(seconds=1),
    )  # fmt: skip
    await handlers().on_code_issued(UntouchedUnitOfWork(), event, event.to_envelope())  # type: ignore[arg-type]


async def test_an_invitation_past_its_expiry_is_not_sent():
    event = StaffInvited(
        invitation_id=uuid.uuid4(), email="commis@clinique.example", establishment_id=uuid.uuid4(), role="clerk",
        language="fr", invited_by=uuid.uuid4(), invited_by_role="manager", invitation_token="secret",
        expires_at=NOW - timedelta(seconds=1),
    )  # fmt: skip
    await handlers().on_staff_invited(UntouchedUnitOfWork(), event)  # type: ignore[arg-type]
