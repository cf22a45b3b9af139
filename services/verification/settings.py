from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class VerificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VERIFICATION_", extra="ignore")

    service_name: str = "verification"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/verification"
