"""The appointments service's one wiring point."""

from fastapi import FastAPI
from starlette.middleware import Middleware

from services.appointments import consumers
from services.appointments.booking.api import BookingFastPath, check_fast_path
from services.appointments.booking.api import router as booking_router
from services.appointments.booking.use_cases import FORGET_SOURCES_EVERY_SECONDS, forget_past_booking_sources
from services.appointments.catalogue.api import router as catalogue_router
from services.appointments.catalogue.queries import SEARCH_SERVER_SETTINGS
from services.appointments.establishments.api import router as establishments_router
from services.appointments.export.api import router as export_router
from services.appointments.front_desk.api import router as front_desk_router
from services.appointments.history.api import router as history_router
from services.appointments.refusals import REFUSALS
from services.appointments.settings import AppointmentsSettings
from services.appointments.waitlist.api import router as waitlist_router
from services.appointments.waitlist.matcher import OfferMatcher
from shared.db import asyncpg_dsn
from shared.http import create_service_app
from shared.runtime import ServiceRuntime

ROUTERS = [
    booking_router,
    front_desk_router,
    catalogue_router,
    history_router,
    establishments_router,
    export_router,
    waitlist_router,
]


def create_app(settings: AppointmentsSettings | None = None) -> FastAPI:
    settings = settings or AppointmentsSettings()
    runtime = ServiceRuntime(settings)
    runtime.consume(
        [
            consumers.on_account_deleted,
            consumers.on_dependant_removed,
            consumers.on_accounts_linked,
            consumers.on_dependants_linked,
            consumers.on_dependant_identified,
            consumers.on_identity_validated,
            consumers.on_identity_invalidated,
            consumers.on_association_validated,
            consumers.on_association_revoked,
        ]
    )
    matcher = OfferMatcher(
        runtime.unit_of_work,
        settings.secret_key.get_secret_value().encode(),
        asyncpg_dsn(settings.database_url),
        settings.waitlist_poll_seconds,
    )
    runtime.add_worker(matcher.run, matcher.stop)
    runtime.every(FORGET_SOURCES_EVERY_SECONDS, forget_past_booking_sources, "booking_sources_forgotten")
    app = create_service_app(
        "Appointments",
        runtime.lifespan,
        runtime.ready,
        ROUTERS,
        max_body_bytes=settings.max_body_bytes,
        refusals=REFUSALS,
    )
    app.state.runtime = runtime
    app.state.search_engine = runtime.tuned_engine(SEARCH_SERVER_SETTINGS, pool_size=settings.search_pool_size)
    check_fast_path(app)  # fails the start if the booking route came to need what the fast path skips
    # Appended, so innermost: tracing, metrics and correlation ids wrap the bookings it answers without FastAPI.
    app.user_middleware.append(Middleware(BookingFastPath))
    return app
