from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AccountsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACCOUNTS_", extra="ignore")

    service_name: str = "accounts"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/accounts"
