from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    environment: str = "dev"
    log_level: str = "INFO"
    accounts_url: str = "http://127.0.0.1:8001"
    appointments_url: str = "http://127.0.0.1:8002"
    verification_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    # The accounts service's ES256 public key (PEM): enough to verify tokens, useless to forge them.
    jwt_public_key: str = ""
    upstream_timeout_seconds: float = 10.0
    upstream_connections: int = 200

    def upstreams(self) -> dict[str, str]:
        return {
            "accounts": self.accounts_url,
            "appointments": self.appointments_url,
            "verification": self.verification_url,
            "notifications": self.notifications_url,
        }
