from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AppointmentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPOINTMENTS_", extra="ignore")

    service_name: str = "appointments"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/appointments"
    db_pool_size: int = 20
