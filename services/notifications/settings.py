from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.notifications.rules import (
    ANONYMOUS_BOOKING_KINDS,
    REGISTRATION_ATTEMPT_KINDS,
    DestinationLimit,
)
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
    # SMS provider HTTP API (POST {url}/messages); the default is the dev sink (devstack/sms_sink.py).
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
    # Messages anybody can make us send to an address nobody proved (rules.DestinationLimit): past these, per
    # address, they are recorded as suppressed instead of sent. A sign-up attempt on an existing account:
    # its owner needs to hear of it once in a while, not once per attempt.
    registration_notices_per_hour: int = Field(default=2, gt=0)
    registration_notices_per_day: int = Field(default=5, gt=0)
    # Confirmations, cancellations and moves of bookings made without an account, to one address: room for
    # a family booked from one mailbox, not for a book-and-cancel loop.
    anonymous_booking_notices_per_hour: int = Field(default=6, gt=0)
    anonymous_booking_notices_per_day: int = Field(default=20, gt=0)

    def registration_notice_limit(self) -> DestinationLimit:
        return DestinationLimit(
            REGISTRATION_ATTEMPT_KINDS, self.registration_notices_per_hour, self.registration_notices_per_day
        )

    def anonymous_booking_notice_limit(self) -> DestinationLimit:
        return DestinationLimit(
            ANONYMOUS_BOOKING_KINDS, self.anonymous_booking_notices_per_hour, self.anonymous_booking_notices_per_day
        )

    @field_validator("reminder_offsets_hours")
    @classmethod
    def _offsets_are_positive(cls, offsets: tuple[float, ...]) -> tuple[float, ...]:
        if any(hours <= 0 for hours in offsets):
            raise ValueError("reminder offsets must be positive numbers of hours before the appointment")
        return offsets
