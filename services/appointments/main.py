"""The appointments service's one wiring point."""

from fastapi import FastAPI
from starlette.middleware import Middleware

from services.appointments.api import router
from services.appointments.booking_fast_path import BookingFastPath
from services.appointments.catalogue import SEARCH_SERVER_SETTINGS
from services.appointments.catalogue_api import router as catalogue_router
from services.appointments.consumers import handlers
from services.appointments.settings import AppointmentsSettings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


def create_app(settings: AppointmentsSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings or AppointmentsSettings())
    runtime.consume(handlers())
    app = create_service_app(
        "Appointments", runtime.lifespan, runtime.ready, [router], max_body_bytes=runtime.settings.max_body_bytes
    )
    app.include_router(catalogue_router)
    app.state.runtime = runtime
    app.state.search_engine = runtime.tuned_engine(SEARCH_SERVER_SETTINGS, pool_size=runtime.settings.search_pool_size)
    # Appended, so innermost: tracing, metrics and correlation ids wrap the bookings it answers without FastAPI.
    app.user_middleware.append(Middleware(BookingFastPath))
    return app
