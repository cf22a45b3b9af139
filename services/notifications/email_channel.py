"""Email delivery over SMTP (aiosmtplib), one connection per channel, reopened on failure."""

import asyncio
from email.message import EmailMessage

import aiosmtplib

from services.notifications.settings import NotificationsSettings


class EmailChannel:
    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings
        self._client: aiosmtplib.SMTP | None = None
        # One SMTP conversation at a time on the connection: inline sends share a channel between handlers.
        self._lock = asyncio.Lock()

    @staticmethod
    def message_id(delivery_id: str) -> str:
        return f"<{delivery_id}@notifications.rendezvous-sante>"

    async def send(self, delivery_id: str, recipient: str, subject: str, body: str) -> str:
        """Sends one message and returns its Message-ID (what a mailbox provider knows it by)."""
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = recipient
        message["Subject"] = subject
        # Derived from the delivery id, so a retransmission after a crash carries the same id
        # and mailbox providers that collapse duplicates by Message-ID can do so.
        message["Message-ID"] = self.message_id(delivery_id)
        message.set_content(body)
        async with self._lock:
            client = await self._connected()
            try:
                await client.send_message(message)
            except Exception:
                await self.close()
                raise
        return message["Message-ID"]

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            settings = self._settings
            client = aiosmtplib.SMTP(
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                start_tls=settings.smtp_starttls,
                timeout=10,
            )
            await client.connect()
            if settings.smtp_username and settings.smtp_password:
                await client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            self._client = client
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except Exception:  # noqa: BLE001 - the connection is being dropped anyway
                client.close()
