"""The SMS channel against the development provider: the HTTP API, the token, failures raise."""

import aiohttp
import httpx
import pytest

from devstack.sms_sink import SmsSink
from devstack.testing.fixtures import free_port
from services.notifications.settings import NotificationsSettings
from services.notifications.sms_channel import SmsChannel, SmsProviderError
from services.notifications.tests.integration.conftest import SMS_SENDER, SMS_TOKEN


def _channel(url: str, token: str | None = SMS_TOKEN) -> SmsChannel:
    return SmsChannel(
        NotificationsSettings(
            sms_provider_url=url, sms_provider_token=token, sms_sender=SMS_SENDER, sms_timeout_seconds=3
        )
    )


async def test_a_message_is_posted_with_the_token_and_the_provider_id_comes_back(sms_sink: SmsSink):
    channel = _channel(sms_sink.url + "/")
    try:
        provider_id = await channel.send("delivery-1", "+15145550123", "", "Bonjour")
    finally:
        await channel.close()
    [message] = sms_sink.messages()
    assert (message.id, message.sender, message.to, message.body) == (
        provider_id,
        SMS_SENDER,
        "+15145550123",
        "Bonjour",
    )
    assert message.client_reference == "delivery-1"


async def test_a_retransmission_with_the_same_client_reference_reaches_the_phone_once(sms_sink: SmsSink):
    channel = _channel(sms_sink.url)
    try:
        first = await channel.send("delivery-2", "+15145550123", "", "Bonjour")
        again = await channel.send("delivery-2", "+15145550123", "", "Bonjour")
    finally:
        await channel.close()
    assert first == again
    assert len(sms_sink.messages()) == 1
    assert sms_sink.transmissions() == 2


@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_the_provider_refuses_a_missing_or_wrong_token(sms_sink: SmsSink, token):
    channel = _channel(sms_sink.url, token)
    try:
        with pytest.raises(SmsProviderError) as refused:
            await channel.send("delivery-3", "+15145550123", "", "Bonjour")
    finally:
        await channel.close()
    assert refused.value.status == 401
    assert sms_sink.messages() == []


async def test_a_server_error_raises_and_the_next_attempt_goes_through(sms_sink: SmsSink):
    sms_sink.fail_next(1, status=503)
    channel = _channel(sms_sink.url)
    try:
        with pytest.raises(SmsProviderError, match="HTTP 503"):
            await channel.send("delivery-4", "+15145550123", "", "Bonjour")
        await channel.send("delivery-4", "+15145550123", "", "Bonjour")
    finally:
        await channel.close()
    assert sms_sink.failures_served == 1
    assert len(sms_sink.messages()) == 1


async def test_an_unreachable_provider_raises():
    channel = _channel(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(aiohttp.ClientConnectionError):
            await channel.send("delivery-5", "+15145550123", "", "Bonjour")
    finally:
        await channel.close()


def test_the_sink_shows_its_messages_as_json_and_html(sms_sink: SmsSink):
    headers = {"Authorization": f"Bearer {SMS_TOKEN}"}
    body = {"from": SMS_SENDER, "to": "+15145550123", "body": "<b>Allô</b>", "client_reference": "r-1"}
    created = httpx.post(f"{sms_sink.url}/messages", json=body, headers=headers)
    assert created.status_code == 201
    assert httpx.post(f"{sms_sink.url}/messages", json={"to": "x"}, headers=headers).status_code == 400
    [listed] = httpx.get(f"{sms_sink.url}/api/messages").json()
    assert listed["id"] == created.json()["id"]
    assert listed["body"] == "<b>Allô</b>"
    page = httpx.get(f"{sms_sink.url}/").text
    assert "&lt;b&gt;Allô&lt;/b&gt;" in page
    assert sms_sink.wait_for(1, timeout=1)[0].client_reference == "r-1"
