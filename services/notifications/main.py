"""The notifications service's one wiring point."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.notifications.channels import Channels
from services.notifications.clock import Clock, SystemClock
from services.notifications.consumers import SENT_INLINE, NotificationHandlers
from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.export.api import router as export_router
from services.notifications.queries import DISPATCH_SERVER_SETTINGS
from services.notifications.reminder_scheduler import ReminderScheduler
from services.notifications.settings import NotificationsSettings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


def create_app(settings: NotificationsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """`clock` is for tests that move time; the service itself runs on the system clock."""
    settings = settings or NotificationsSettings()
    clock = clock or SystemClock()
    runtime = ServiceRuntime(settings)
    dispatcher = DeliveryDispatcher(
        # Each worker holds one connection through its batch.
        runtime.tuned_units_of_work(DISPATCH_SERVER_SETTINGS, pool_size=settings.dispatch_concurrency),
        lambda: Channels.from_settings(settings),
        settings.dispatch_concurrency,
        settings.max_attempts,
        settings.dispatch_batch,
    )
    # Shared by the consumers' inline sends (codes, deletion confirmations).
    inline_channels = Channels.from_settings(settings)
    handlers = NotificationHandlers(settings, dispatcher, inline_channels, clock)
    runtime.consume(
        [
            handlers.on_appointment_booked,
            handlers.on_appointment_cancelled,
            handlers.on_appointment_rescheduled,
            handlers.on_code_issued,
            handlers.on_registration_attempted,
            handlers.on_contact_changed,
            handlers.on_account_deleted,
            handlers.on_holder_notice,
            handlers.on_staff_invited,
            handlers.on_waitlist_seat_offered,
        ],
        alone=SENT_INLINE,
    )
    runtime.add_worker(dispatcher.run, stop=dispatcher.stop)
    reminder_scheduler = ReminderScheduler(
        runtime.unit_of_work,
        clock,
        settings.portal_base_url,
        settings.reminder_poll_seconds,
        settings.reminder_batch_size,
        on_queued=dispatcher.wake,
    )
    runtime.add_worker(reminder_scheduler.run)

    @asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        try:
            async with runtime.lifespan(app):
                yield
        finally:
            # Closed last, after the runtime has stopped the consumers that use them.
            await inline_channels.close()

    app = create_service_app(
        "Notifications", lifespan, runtime.ready, [export_router], max_body_bytes=runtime.settings.max_body_bytes
    )
    app.state.runtime = runtime
    app.state.reminder_scheduler = reminder_scheduler
    app.state.dispatcher = dispatcher
    return app
