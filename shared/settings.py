"""Settings base class: every service subclasses it with its own env prefix."""

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-not-a-secret"  # noqa: S105 - refused outside dev/test below


class ServiceSettings(BaseSettings):
    """Fields every service needs. Subclasses set `env_prefix` (e.g. APPOINTMENTS_)."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str
    environment: Literal["dev", "test", "prod"] = "dev"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    # Prefix of the exchange and queue names: lets tests run isolated topologies on one broker.
    bus_namespace: str = ""
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    # The accounts service's ES256 public key (PEM): every request naming a citizen or a staff member carries
    # the access token the gateway verified, and the service verifies it again with this key. Or the file
    # holding it (<SERVICE>_JWT_PUBLIC_KEY_FILE), read when the key is empty. Without a key, every token is
    # refused.
    jwt_public_key: str = ""
    jwt_public_key_file: str | None = None
    # /metrics is served on its own port, never on the API's, so that only the monitoring system reaches it
    # (NetworkPolicies in deploy/k8s). Unset serves no metrics (an app built in a test opens no socket); the
    # dev supervisor, compose and the manifests set it. Containers listen on every interface (0.0.0.0).
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    log_level: str = "INFO"
    # Request bodies past this are refused with 413 before more is read (shared/request_limits.py).
    max_body_bytes: int = 1024 * 1024
    # OpenTelemetry traces: "none" is off and costs nothing; "console" prints spans; "otlp" posts them
    # (HTTP/protobuf) to tracing_otlp_endpoint, e.g. an OpenTelemetry Collector.
    tracing_exporter: Literal["none", "console", "otlp"] = "none"
    tracing_otlp_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    # Connections kept open, opened on demand. Sized for the consumer's prefetch plus the HTTP requests a
    # replica serves at once: past it, each overflow connection is opened and closed per checkout, a
    # connect and a backend start per request, seen as ~11 new connections/s under a 32-client booking run.
    db_pool_size: int = 40
    # Beyond pool + overflow, callers wait for a connection (bounded by db_pool_timeout_seconds).
    db_max_overflow: int = 10
    db_pool_timeout_seconds: float = 10.0
    consumer_prefetch: int = 32
    delivery_limit: int = 5
    outbox_poll_seconds: float = 1.0
    # After a wake-up the relay waits this long so events committed meanwhile share one claim and batch.
    outbox_coalesce_seconds: float = 0.01
    # SIGTERM: at most this long for in-flight messages to finish, workers to stop and the outbox to
    # flush, after uvicorn's own HTTP drain (--timeout-graceful-shutdown); then the process exits anyway.
    shutdown_grace_seconds: float = 15.0

    @model_validator(mode="after")
    def _public_key_from_file(self) -> "ServiceSettings":
        if not self.jwt_public_key.strip() and self.jwt_public_key_file:
            try:
                self.jwt_public_key = Path(self.jwt_public_key_file).read_text()
            except (OSError, UnicodeDecodeError) as exc:
                name = f"{self.model_config.get('env_prefix', '')}JWT_PUBLIC_KEY_FILE"
                raise ValueError(f"{name}: cannot read {self.jwt_public_key_file}: {exc}") from None
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> "ServiceSettings":
        if self.environment not in ("dev", "test"):
            for name, value in self:
                if isinstance(value, SecretStr) and value.get_secret_value() == DEV_SECRET:
                    raise ValueError(f"{name} must be set to a real secret when environment={self.environment}")
        return self
