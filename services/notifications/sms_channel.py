"""SMS delivery through the provider's HTTP API (aiohttp), one ClientSession per channel.

The API: POST {sms_provider_url}/messages with {"from", "to", "body", "client_reference"} and a
Bearer token; a 2xx answer carries {"id": ...}. Anything else raises, and the caller retries with
backoff. client_reference is the delivery id, so a retransmission after a crash can be recognised
by the provider instead of reaching the phone twice.
"""

import aiohttp

from services.notifications.settings import NotificationsSettings


class SmsProviderError(Exception):
    """The provider refused or failed the request; the status says which (the body is not kept:
    providers may echo the phone number or the text back)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"SMS provider answered HTTP {status}")
        self.status = status


class SmsChannel:
    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None

    async def send(self, delivery_id: str, recipient: str, subject: str, body: str) -> str:
        """Sends `body` to `recipient` (E.164) and returns the provider's message id. SMS has no subject."""
        session = self._open_session()
        payload = {"from": self._settings.sms_sender, "to": recipient, "body": body, "client_reference": delivery_id}
        async with session.post(self._settings.sms_provider_url.rstrip("/") + "/messages", json=payload) as response:
            if not 200 <= response.status < 300:
                raise SmsProviderError(response.status)
            answer = await response.json(content_type=None)
        if not isinstance(answer, dict) or not answer.get("id"):
            raise SmsProviderError(response.status)
        return str(answer["id"])

    def _open_session(self) -> aiohttp.ClientSession:
        # Opened on first use, inside the running loop that will use it.
        if self._session is None or self._session.closed:
            settings = self._settings
            headers = {"Accept": "application/json"}
            if settings.sms_provider_token is not None:
                headers["Authorization"] = f"Bearer {settings.sms_provider_token.get_secret_value()}"
            self._session = aiohttp.ClientSession(
                headers=headers,
                timeout=aiohttp.ClientTimeout(
                    total=settings.sms_timeout_seconds, connect=settings.sms_connect_timeout_seconds
                ),
                raise_for_status=False,
            )
        return self._session

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()
