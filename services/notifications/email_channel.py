"""Email delivery over SMTP (aiosmtplib), one connection per channel, reopened on failure.

On a server that announces PIPELINING a message takes two writes instead of four (smtp_pipelining.py).

Messages are one text/plain UTF-8 part. The common case (a plain ASCII address) is assembled from header
lines encoded by the email package's Header and a body encoded by binascii, and sent with sendmail: building
an EmailMessage with the default policy and flattening it (header registry, header parser, refolding)
cost ~0.73 ms per message, more CPU than the rest of its delivery, against ~0.1 ms this way. Any other
recipient (non-ASCII, anything needing quoting) still goes through EmailMessage and send_message.
"""

import asyncio
import binascii
import functools
import re
import time
from email.charset import BASE64, Charset
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate

import aiosmtplib

from services.notifications.settings import NotificationsSettings
from services.notifications.smtp_pipelining import PipelinedReplies, take_over

# An addr-spec with nothing that needs quoting or encoding in a header or in RCPT TO.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
# RFC 5322 recommends lines of at most 78 characters; the email package switches encoding past it too.
_MAX_LINE = 78
SMTP_TIMEOUT_SECONDS = 10
_UTF8_BASE64 = Charset("utf-8")
_UTF8_BASE64.header_encoding = BASE64


@functools.lru_cache(maxsize=1)
def _date(second: int) -> bytes:
    # The Date header's value, formatted once per second rather than once per email.
    return formatdate(second, usegmt=True).encode("ascii")


def encoded_header(name: str, value: str) -> bytes:
    """One header line: the value as-is when it is short printable ASCII, else RFC 2047 base64 words
    folded by the email package's Header (base64: its quoted-printable words cost three times the CPU)."""
    if "\r" in value or "\n" in value:
        # As the email package does: a line break in a header value would let it forge other headers.
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    if value.isascii() and value.isprintable() and len(name) + 2 + len(value) <= _MAX_LINE:
        return f"{name}: {value}\r\n".encode("ascii")
    # 75: an encoded word may not be longer (RFC 2047); with the folding space a line stays within 76.
    encoded = Header(value, _UTF8_BASE64, maxlinelen=75, header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode("ascii")


def message_id_header(message_id: str) -> bytes:
    """Folded before the id when the line would pass 78 characters, as the email package does (an id is
    never cut)."""
    line = f"Message-ID: {message_id}\r\n"
    return (line if len(line) <= _MAX_LINE + 2 else f"Message-ID:\r\n {message_id}\r\n").encode("ascii")


def encoded_body(body: str, eight_bit: bool) -> tuple[bytes, bytes]:
    """The body and its Content-Transfer-Encoding: 7bit or 8bit when every line is short (8bit only to a
    server announcing 8BITMIME), else quoted-printable."""
    data = body.encode("utf-8")
    lines = data.splitlines()
    if max((len(line) for line in lines), default=0) <= _MAX_LINE:
        if data.isascii():
            return b"\r\n".join(lines) + b"\r\n", b"7bit"
        if eight_bit:
            return b"\r\n".join(lines) + b"\r\n", b"8bit"
    # Line by line: b2a_qp on the whole text would leave a bare CR of a CRLF as "=0D"; its soft line breaks
    # are bare LFs, made CRLF here like the rest.
    encoded = (binascii.b2a_qp(line, istext=True).replace(b"\n", b"\r\n") + b"\r\n" for line in lines)
    return b"".join(encoded), b"quoted-printable"


class EmailChannel:
    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings
        self._client: aiosmtplib.SMTP | None = None
        # Set when the server announced PIPELINING: the connection is then read by it, not by self._client.
        self._pipelined: PipelinedReplies | None = None
        # One SMTP conversation at a time on the connection: inline sends share a channel between handlers.
        self._lock = asyncio.Lock()
        # The sender never changes: its header line and envelope address are worked out once.
        sender = EmailMessage()
        sender["From"] = settings.mail_from
        self._from_line = sender.as_bytes(policy=SMTP_POLICY).split(b"\r\n\r\n", 1)[0] + b"\r\n"
        self._envelope_sender = sender["From"].addresses[0].addr_spec
        self._plain_sender = _PLAIN_ADDRESS.fullmatch(self._envelope_sender) is not None

    @staticmethod
    def message_id(delivery_id: str) -> str:
        return f"<{delivery_id}@notifications.rendezvous-sante>"

    async def send(self, delivery_id: str, recipient: str, subject: str, body: str) -> str:
        """Sends one message and returns its Message-ID (what a mailbox provider knows it by)."""
        # Derived from the delivery id, so a retransmission after a crash carries the same id
        # and mailbox providers that collapse duplicates by Message-ID can do so.
        message_id = self.message_id(delivery_id)
        async with self._lock:
            try:
                if self._plain_sender and _PLAIN_ADDRESS.fullmatch(recipient):
                    await self._send_plain(message_id, recipient, subject, body)
                else:
                    await self._send_general(self._email_message(message_id, recipient, subject, body))
            except Exception:
                await self.close()
                raise
        return message_id

    async def _send_general(self, message: EmailMessage) -> None:
        client = await self._connected()
        if self._pipelined is None:
            await client.send_message(message)
            return
        # The pooled connection is read by PipelinedReplies: these rare messages (an address to quote or
        # encode) take a connection of their own, with aiosmtplib's whole handling of them.
        single = await self._open()
        try:
            await single.send_message(message)
        finally:
            await _quit(single)

    async def _send_plain(self, message_id: str, recipient: str, subject: str, body: str) -> None:
        client = await self._connected()
        eight_bit = client.supports_extension("8BITMIME")
        content, transfer_encoding = encoded_body(body, eight_bit)
        message = b"".join(
            (
                self._from_line,
                b"To: ",
                recipient.encode("ascii"),
                b"\r\n",
                encoded_header("Subject", subject),
                message_id_header(message_id),
                b"Date: ",
                _date(int(time.time())),
                b'\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: ',
                transfer_encoding,
                b"\r\n\r\n",
                content,
            )
        )
        # Both addresses are known plain: no SMTPUTF8; BODY=8BITMIME when the server takes 8-bit bodies.
        options = ["BODY=8BITMIME"] if eight_bit else []
        if self._pipelined is not None:
            await self._pipelined.send(self._envelope_sender, recipient, message, options)
        else:
            await client.sendmail(self._envelope_sender, [recipient], message, mail_options=options)

    def _email_message(self, message_id: str, recipient: str, subject: str, body: str) -> EmailMessage:
        """The general path (the email package encodes names and non-ASCII addresses, SMTPUTF8 if needed)."""
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = recipient
        message["Subject"] = subject
        message["Message-ID"] = message_id
        message.set_content(body)
        return message

    async def _connected(self) -> aiosmtplib.SMTP:
        """The pooled session, with PipelinedReplies reading it when the server announces PIPELINING."""
        if self._pipelined is not None:
            usable = self._pipelined.usable
        else:
            usable = self._client is not None and self._client.is_connected
        if self._client is None or not usable:
            await self.close()
            self._client = await self._open()
            self._pipelined = take_over(self._client, SMTP_TIMEOUT_SECONDS)
        return self._client

    async def _open(self) -> aiosmtplib.SMTP:
        settings = self._settings
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            start_tls=settings.smtp_starttls,
            timeout=SMTP_TIMEOUT_SECONDS,
        )
        await client.connect()
        if client.is_ehlo_or_helo_needed:
            # Now rather than inside the first sendmail: the message's encoding depends on 8BITMIME.
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await client.helo()
        if settings.smtp_username and settings.smtp_password:
            await client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        return client

    async def close(self) -> None:
        client, self._client = self._client, None
        pipelined, self._pipelined = self._pipelined, None
        if pipelined is not None:
            try:
                await pipelined.quit()
            except Exception:  # noqa: BLE001 - the connection is being dropped anyway
                pipelined.transport.close()
        elif client is not None:
            await _quit(client)


async def _quit(client: aiosmtplib.SMTP) -> None:
    if client.is_connected:
        try:
            await client.quit()
        except Exception:  # noqa: BLE001 - the connection is being dropped anyway
            client.close()
