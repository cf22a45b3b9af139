"""The verification service's one wiring point."""

from fastapi import FastAPI

from services.verification import association_requests_api
from services.verification.api import router
from services.verification.consumers import IGNORE_WHEN, handlers
from services.verification.service import ChallengePurger
from services.verification.settings import VerificationSettings
from services.verification.validation_api import router as validation_router
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


def create_app(settings: VerificationSettings | None = None) -> FastAPI:
    settings = settings or VerificationSettings()
    runtime = ServiceRuntime(settings)
    runtime.consume(handlers(settings), ignore_when=IGNORE_WHEN)
    runtime.add_worker(ChallengePurger(runtime.unit_of_work, settings).run)
    app = create_service_app(
        "Verification",
        runtime.lifespan,
        runtime.ready,
        [
            router,
            validation_router,
            association_requests_api.citizen_router,
            association_requests_api.staff_router,
        ],
        max_body_bytes=settings.max_body_bytes,
    )
    app.state.runtime = runtime
    return app
