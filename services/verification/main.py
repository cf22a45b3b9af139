"""The verification service's one wiring point."""

from fastapi import FastAPI

from services.verification.settings import VerificationSettings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


def create_app(settings: VerificationSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings or VerificationSettings())
    app = create_service_app("Verification", runtime.lifespan, runtime.ready, [])
    app.state.runtime = runtime
    return app
