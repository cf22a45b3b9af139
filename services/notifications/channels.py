"""The delivery channels by name ("email", "sms"): the one door every send goes through."""

from typing import Protocol

from services.notifications.email_channel import EmailChannel
from services.notifications.settings import NotificationsSettings
from services.notifications.sms_channel import SmsChannel

EMAIL = "email"
SMS = "sms"


class Channel(Protocol):
    async def send(self, delivery_id: str, recipient: str, subject: str, body: str) -> str:
        """Sends one message, returns the provider's id for it; raises when it was not accepted."""
        ...

    async def close(self) -> None: ...


class Channels:
    def __init__(self, adapters: dict[str, Channel]) -> None:
        self._adapters = adapters

    @classmethod
    def from_settings(cls, settings: NotificationsSettings) -> "Channels":
        return cls({EMAIL: EmailChannel(settings), SMS: SmsChannel(settings)})

    async def send(self, channel: str, delivery_id: str, recipient: str, subject: str, body: str) -> str:
        try:
            adapter = self._adapters[channel]
        except KeyError:
            raise ValueError(f"no delivery channel named {channel!r}") from None
        return await adapter.send(delivery_id, recipient, subject, body)

    async def close(self) -> None:
        for adapter in self._adapters.values():
            await adapter.close()
