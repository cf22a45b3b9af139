"""The notifications service's one wiring point."""

from fastapi import FastAPI

from services.notifications.consumers import handlers
from services.notifications.email_channel import EmailChannel
from services.notifications.service import DeliveryDispatcher
from services.notifications.settings import NotificationsSettings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime(settings)
    dispatcher = DeliveryDispatcher(
        runtime.unit_of_work, lambda: EmailChannel(settings), settings.dispatch_concurrency, settings.max_attempts
    )
    runtime.consume(handlers(settings, dispatcher))
    runtime.add_worker(dispatcher.run)
    app = create_service_app("Notifications", runtime.lifespan, runtime.ready, [])
    app.state.runtime = runtime
    return app
