"""One SMTP mail transaction in two writes, on a server that announces PIPELINING (RFC 2920).

Without it a message takes four round trips (MAIL, RCPT, DATA, the content), each a write to the socket that
wakes the server and a reply that wakes us. On this platform's machines such a write costs far more than the
bytes it carries: SMTP was 40% of the notifications process's samples while a surge of confirmations drained,
and the socket writes alone 28%. With PIPELINING, MAIL, RCPT and DATA leave in one write and the content in a
second one. Every relay a health authority would use (Postfix, Exchange, the large providers) announces it; the
dev mail sink does too (devstack/mail_sink.py).

aiosmtplib opens the session (connection, EHLO, STARTTLS, AUTH: the parts with security at stake) and stays
in use where a server does not announce PIPELINING. It reads one reply per command, so the transport is then
handed to `PipelinedReplies`, which reads replies in order as they come.
"""

import asyncio
import collections
import re
from typing import cast

import aiosmtplib

# A reply line: three digits, then "-" when more lines of the same reply follow, else a space or the end.
_REPLY_LINE = re.compile(rb"(\d{3})([ -]?)(.*)")
_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")
_CRLF = re.compile(rb"\r\n|\r|\n")
_MAX_REPLY_BYTES = 64 * 1024


class PipelinedReplies(asyncio.Protocol):
    """Reads the server's replies in order, each to the oldest waiting command."""

    def __init__(self, transport: asyncio.BaseTransport, timeout_seconds: float, announces_size: bool = False) -> None:
        self.timeout_seconds = timeout_seconds
        self.announces_size = announces_size
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self.transport = cast(asyncio.Transport, transport)
        self._buffer = bytearray()
        self._lines: list[bytes] = []
        self._replies: collections.deque[aiosmtplib.SMTPResponse] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._lost: Exception | None = None
        self.transport.set_protocol(self)

    @property
    def usable(self) -> bool:
        return self._lost is None and not self.transport.is_closing()

    def data_received(self, data: bytes) -> None:
        self._buffer.extend(data)
        while (end := self._buffer.find(b"\r\n")) >= 0:
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 2]
            match = _REPLY_LINE.fullmatch(line)
            if match is None:
                self._fail(aiosmtplib.SMTPResponseException(-1, "Malformed SMTP reply"))
                return
            self._lines.append(match.group(3))
            if match.group(2) != b"-":
                text = b"\n".join(self._lines).decode("utf-8", "replace")
                self._replies.append(aiosmtplib.SMTPResponse(int(match.group(1)), text))
                self._lines = []
        if len(self._buffer) > _MAX_REPLY_BYTES:
            self._fail(aiosmtplib.SMTPResponseException(-1, "SMTP reply too long"))
            return
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(aiosmtplib.SMTPServerDisconnected("Connection lost"))

    def _fail(self, exc: Exception) -> None:
        if self._lost is None:
            self._lost = exc
        self.transport.close()
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def reply(self) -> aiosmtplib.SMTPResponse:
        while not self._replies:
            if self._lost is not None:
                raise self._lost
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self._waiter, self.timeout_seconds)
            except TimeoutError:
                self._fail(aiosmtplib.SMTPReadTimeoutError("Timed out waiting for the server's reply"))
                raise
            finally:
                self._waiter = None
        return self._replies.popleft()

    async def send(
        self, sender: str, recipient: str, message: bytes, mail_options: list[str]
    ) -> aiosmtplib.SMTPResponse:
        """One transaction: [MAIL, RCPT, DATA] in one write, then the content. Raises aiosmtplib's errors as its
        own sendmail does (SMTPSenderRefused, SMTPRecipientsRefused, SMTPDataError); the connection stays usable
        after a refusal (the transaction is reset)."""
        if not self.usable:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        for address in (sender, recipient):
            if "\r" in address or "\n" in address or ">" in address:
                raise ValueError("An SMTP address may not contain a line break or '>'")
        normalized = _CRLF.sub(b"\r\n", message)
        if self.announces_size:
            # RFC 1870, as aiosmtplib's sendmail sends it: the message's octets with CRLF line ends.
            mail_options = [f"SIZE={len(normalized)}", *mail_options]
        options = "".join(f" {option}" for option in mail_options)
        self.transport.write(f"MAIL FROM:<{sender}>{options}\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode())
        mail = await self.reply()
        rcpt = await self.reply()
        data = await self.reply()
        if data.code == 354:
            if mail.code != 250 or rcpt.code not in (250, 251):
                # Accepted DATA after a refusal (RFC 2920 3.1): end it with an empty message, not ours.
                self.transport.write(b".\r\n")
                await self.reply()
            else:
                self.transport.write(_content(normalized))
                done = await self.reply()
                if done.code != 250:
                    raise aiosmtplib.SMTPDataError(done.code, done.message)
                return done
        if mail.code != 250:
            await self._reset()
            raise aiosmtplib.SMTPSenderRefused(mail.code, mail.message, sender)
        if rcpt.code not in (250, 251):
            await self._reset()
            # As aiosmtplib's sendmail raises it, so callers see one kind of refusal whichever path sent.
            raise aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(rcpt.code, rcpt.message, recipient)]
            )
        await self._reset()
        raise aiosmtplib.SMTPDataError(data.code, data.message)

    async def _reset(self) -> None:
        self.transport.write(b"RSET\r\n")
        await self.reply()

    async def quit(self) -> None:
        try:
            if self.usable:
                self.transport.write(b"QUIT\r\n")
                await self.reply()
        finally:
            self.transport.close()


def _content(normalized: bytes) -> bytes:
    """The message (CRLF line ends) as DATA carries it: leading dots doubled, the final dot (RFC 5321 4.5.2)."""
    if not normalized.endswith(b"\r\n"):
        normalized += b"\r\n"
    return _DOT_AT_LINE_START.sub(b"..", normalized) + b".\r\n"


def take_over(client: aiosmtplib.SMTP, timeout_seconds: float) -> PipelinedReplies | None:
    """The connection's transport, read by PipelinedReplies from now on, when the server announces PIPELINING.
    The aiosmtplib client is of no further use on that connection."""
    transport = client.transport
    if not client.supports_extension("pipelining") or transport is None or transport.is_closing():
        return None
    return PipelinedReplies(transport, timeout_seconds, announces_size=client.supports_extension("size"))
