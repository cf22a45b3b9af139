"""The accounts service's one wiring point."""

from fastapi import FastAPI

from services.accounts.settings import AccountsSettings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


def create_app(settings: AccountsSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings or AccountsSettings())
    app = create_service_app("Accounts", runtime.lifespan, runtime.ready, [])
    app.state.runtime = runtime
    return app
