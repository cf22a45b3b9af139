from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import DEV_SECRET, ServiceSettings


class AppointmentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPOINTMENTS_", extra="ignore")

    service_name: str = "appointments"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/appointments"
    # Connections of the nearby search's own pool (planner settings of its own, catalogue.SEARCH_SERVER_SETTINGS).
    search_pool_size: int = 8
    # The accounts service's NAM key (ACCOUNTS_NAM_KEY), same value: a NAM typed in a booking made without an
    # account is kept only as the keyed HMAC accounts and verification compute, to match it in the history.
    nam_key: SecretStr = SecretStr(DEV_SECRET)
