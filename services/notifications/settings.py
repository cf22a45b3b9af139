from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/notifications"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "Rendez-vous santé <no-reply@rendezvous-sante.example>"
    # SMS provider HTTP API (POST {url}/messages); the default is the dev sink (shared/devstack/sms_sink.py).
    sms_provider_url: str = "http://127.0.0.1:8026"
    sms_provider_token: SecretStr | None = None
    sms_sender: str = "+15145550100"
    sms_connect_timeout_seconds: float = 3.0
    # Whole request: a provider slower than this is treated as failed and retried (same client_reference).
    sms_timeout_seconds: float = 10.0
    # Where links in messages point: the citizen portal served by the gateway.
    portal_base_url: str = "http://127.0.0.1:8000"
    dispatch_concurrency: int = 4
    # Deliveries one dispatcher claims per transaction: fewer scans of a busy queue table, at the cost of
    # up to this many repeated messages (same Message-ID) if the process is killed mid-batch.
    dispatch_batch: int = 8
    max_attempts: int = 8
    # Reminders go out this many hours before the appointment (elapsed hours), moved into 08:00-21:00
    # at the place; env: NOTIFICATIONS_REMINDER_OFFSETS_HOURS='[48, 2]'. An empty list sends none.
    reminder_offsets_hours: tuple[float, ...] = (24.0,)
    # How often the reminder scheduler looks for due reminders (it is also woken explicitly).
    reminder_poll_seconds: float = 15.0
    # Reminders claimed per transaction: a replica holds this many rows locked while queueing them.
    reminder_batch_size: int = 50

    @field_validator("reminder_offsets_hours")
    @classmethod
    def _offsets_are_positive(cls, offsets: tuple[float, ...]) -> tuple[float, ...]:
        if any(hours <= 0 for hours in offsets):
            raise ValueError("reminder offsets must be positive numbers of hours before the appointment")
        return offsets
