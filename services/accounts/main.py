"""The accounts service's one wiring point."""

from functools import partial

from fastapi import FastAPI

from services.accounts.consumers import (
    PersonalDataHandlers,
    on_association_request_decided,
    on_association_revoked,
    on_code_locked,
)
from services.accounts.export.api import router as export_routes
from services.accounts.family.api import router as family_routes
from services.accounts.links.api import router as links_routes
from services.accounts.links.rules import NamVault
from services.accounts.profile.api import router as profile_routes
from services.accounts.refusals import REFUSALS
from services.accounts.registration.api import router as registration_routes
from services.accounts.registration.use_cases import forget_expired_now
from services.accounts.sessions.api import router as sessions_routes
from services.accounts.sessions.use_cases import Deps, PasswordHashing
from services.accounts.settings import AccountsSettings
from services.accounts.staff.api import router as staff_routes
from shared.http import create_service_app
from shared.runtime import ServiceRuntime

ROUTERS = [
    registration_routes,
    sessions_routes,
    profile_routes,
    family_routes,
    links_routes,
    staff_routes,
    export_routes,
]


def create_app(settings: AccountsSettings | None = None) -> FastAPI:
    settings = settings or AccountsSettings()
    runtime = ServiceRuntime(settings)
    deps = Deps(
        settings=settings,
        hashing=PasswordHashing(
            settings.argon2_memory_kib,
            settings.argon2_time_cost,
            settings.argon2_parallelism,
            settings.argon2_concurrency,
        ),
        vault=NamVault(settings.nam_key.get_secret_value()),
    )
    personal_data = PersonalDataHandlers(deps.vault)
    runtime.consume(
        [
            personal_data.on_challenge_passed,
            personal_data.on_identity_validated,
            personal_data.on_association_validated,
            on_association_revoked,
            on_association_request_decided,
            on_code_locked,
        ]
    )
    runtime.every(
        settings.purge_interval_seconds, partial(forget_expired_now, settings=settings), "expired_rows_forgotten"
    )
    app = create_service_app(
        "Accounts",
        runtime.lifespan,
        runtime.ready,
        ROUTERS,
        max_body_bytes=runtime.settings.max_body_bytes,
        refusals=REFUSALS,
    )
    app.state.runtime = runtime
    app.state.deps = deps
    return app
