"""The notifications service's one wiring point."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from services.notifications.channels import Channels
from services.notifications.consumers import handlers
from services.notifications.service import DeliveryDispatcher
from services.notifications.settings import NotificationsSettings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime(settings)
    dispatcher = DeliveryDispatcher(
        runtime.unit_of_work,
        lambda: Channels.from_settings(settings),
        settings.dispatch_concurrency,
        settings.max_attempts,
    )
    # Shared by the consumers' inline sends (codes, deletion confirmations).
    inline_channels = Channels.from_settings(settings)
    runtime.consume(handlers(settings, dispatcher, inline_channels))
    runtime.add_worker(dispatcher.run)

    @asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            # Closed last, after the runtime has stopped the consumers that use them.
            stack.push_async_callback(inline_channels.close)
            await stack.enter_async_context(runtime.lifespan(app))
            yield

    app = create_service_app("Notifications", lifespan, runtime.ready, [])
    app.state.runtime = runtime
    return app
