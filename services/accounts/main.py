"""The accounts service's one wiring point."""

from fastapi import FastAPI

from services.accounts.api import router
from services.accounts.consumers import handlers
from services.accounts.passwords import PasswordHashing
from services.accounts.personal_data import NamVault
from services.accounts.retention import RetentionWorker
from services.accounts.service import Deps
from services.accounts.settings import AccountsSettings
from shared.http import create_service_app
from shared.runtime import ServiceRuntime


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
    runtime.consume(handlers(deps))
    runtime.add_worker(RetentionWorker(runtime.unit_of_work, settings).run)
    app = create_service_app(
        "Accounts", runtime.lifespan, runtime.ready, [router], max_body_bytes=runtime.settings.max_body_bytes
    )
    app.state.runtime = runtime
    app.state.deps = deps
    return app
