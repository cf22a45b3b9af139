"""The verification service's one wiring point."""

from functools import partial

from fastapi import FastAPI

from services.verification.association_requests import api as association_requests_api
from services.verification.codes import api as codes_api
from services.verification.codes.use_cases import purge_expired_challenges
from services.verification.consumers import HANDLERS, ONLY_TOPICS, CodeIssuer
from services.verification.export import api as export_api
from services.verification.record_access import api as record_access_api
from services.verification.refusals import REFUSALS
from services.verification.settings import VerificationSettings
from services.verification.validations import api as validations_api
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


def create_app(settings: VerificationSettings | None = None) -> FastAPI:
    settings = settings or VerificationSettings()
    runtime = ServiceRuntime(settings)
    runtime.consume([CodeIssuer(settings).on_code_requested, *HANDLERS], only_topics=ONLY_TOPICS)
    runtime.every(
        settings.purge_interval_seconds, partial(purge_expired_challenges, settings=settings), "challenges_purged"
    )
    app = create_service_app(
        "Verification",
        runtime.lifespan,
        runtime.ready,
        [
            codes_api.router,
            validations_api.router,
            validations_api.operator_router,
            association_requests_api.citizen_router,
            association_requests_api.staff_router,
            export_api.router,
            record_access_api.router,
        ],
        max_body_bytes=settings.max_body_bytes,
        refusals=REFUSALS,
    )
    app.state.runtime = runtime
    return app
