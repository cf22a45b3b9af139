"""The delivery channels by name ("email", "sms"): the one door every send goes through."""

from typing import Protocol

from prometheus_client import Counter

from services.notifications.email_channel import EmailChannel
from services.notifications.rendering import with_help_footer
from services.notifications.rules import EMAIL, SMS
from services.notifications.settings import NotificationsSettings
from services.notifications.sms_channel import SmsChannel

NOTIFICATION_DELIVERIES = Counter(
    "clinic_notification_deliveries",
    "Messages handed to a delivery channel: accepted by the provider (sent) or not (failed, retried later).",
    ["channel", "outcome"],
)


class Channel(Protocol):
    async def send(self, delivery_id: str, recipient: str, subject: str, body: str) -> str:
        """Sends one message, returns the provider's id for it; raises when it was not accepted."""
        ...

    async def close(self) -> None: ...


class Channels:
    def __init__(self, adapters: dict[str, Channel], portal_base_url: str) -> None:
        self._adapters = adapters
        self._portal_base_url = portal_base_url

    @classmethod
    def from_settings(cls, settings: NotificationsSettings) -> "Channels":
        return cls({EMAIL: EmailChannel(settings), SMS: SmsChannel(settings)}, settings.portal_base_url)

    async def send(self, channel: str, delivery_id: str, recipient: str, subject: str, body: str, language: str) -> str:
        try:
            adapter = self._adapters[channel]
        except KeyError:
            raise ValueError(f"no delivery channel named {channel!r}") from None
        # Added here, at the one door, so that no message of any kind leaves without the help link.
        try:
            provider_id = await adapter.send(
                delivery_id, recipient, subject, with_help_footer(body, channel, language, self._portal_base_url)
            )
        except Exception:
            NOTIFICATION_DELIVERIES.labels(channel, "failed").inc()
            raise
        NOTIFICATION_DELIVERIES.labels(channel, "sent").inc()
        return provider_id

    async def close(self) -> None:
        for adapter in self._adapters.values():
            await adapter.close()
