"""smtp_pipelining's conversation, on a recording transport: what it writes, and how it reads replies."""

import asyncio

import aiosmtplib
import pytest

from services.notifications.smtp_pipelining import PipelinedReplies


class ScriptedTransport:
    """Records writes; answers each write with the next scripted replies (as a server would)."""

    def __init__(self, replies: list[bytes]) -> None:
        self.writes: list[bytes] = []
        self.replies = replies
        self.protocol: PipelinedReplies | None = None
        self.closed = False

    def set_protocol(self, protocol: PipelinedReplies) -> None:
        self.protocol = protocol

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        reply = self.replies.pop(0)
        assert self.protocol is not None
        protocol = self.protocol
        asyncio.get_running_loop().call_soon(protocol.data_received, reply)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


async def test_a_message_takes_two_writes_and_its_content_is_dot_stuffed() -> None:
    transport = ScriptedTransport([b"250 OK\r\n250 OK\r\n354 Go ahead\r\n", b"250 Queued\r\n"])
    replies = PipelinedReplies(transport, 1)  # type: ignore[arg-type]
    done = await replies.send("from@example.org", "to@example.org", b"Subject: x\r\n\r\n.dot\nend", ["BODY=8BITMIME"])
    assert done.code == 250
    assert transport.writes == [
        b"MAIL FROM:<from@example.org> BODY=8BITMIME\r\nRCPT TO:<to@example.org>\r\nDATA\r\n",
        b"Subject: x\r\n\r\n..dot\r\nend\r\n.\r\n",
    ]


async def test_replies_split_across_reads_and_multiline_replies_are_paired_in_order() -> None:
    transport = ScriptedTransport([b"250 OK\r\n25", b"0-first\r\n250 second\r\n354 Go\r\n", b"250 Done\r\n"])
    replies = PipelinedReplies(transport, 1)  # type: ignore[arg-type]
    transport.write(b"MAIL...")  # the first chunk arrives, half a reply short
    transport.write(b"RCPT...")
    assert (await replies.reply()).code == 250
    rcpt = await replies.reply()
    assert (rcpt.code, rcpt.message) == (250, "first\nsecond")
    assert (await replies.reply()).code == 354


async def test_a_refused_recipient_raises_as_aiosmtplib_does_and_resets_the_transaction() -> None:
    transport = ScriptedTransport(
        [b"250 OK\r\n550 5.1.1 No such mailbox\r\n554 No valid recipients\r\n", b"250 Reset\r\n"]
    )
    replies = PipelinedReplies(transport, 1)  # type: ignore[arg-type]
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await replies.send("from@example.org", "refused@example.org", b"x", [])
    assert transport.writes[-1] == b"RSET\r\n"
    assert replies.usable


async def test_data_accepted_after_a_refusal_is_ended_with_an_empty_message_not_ours() -> None:
    transport = ScriptedTransport([b"250 OK\r\n550 No\r\n354 Go\r\n", b"250 Empty\r\n", b"250 Reset\r\n"])
    replies = PipelinedReplies(transport, 1)  # type: ignore[arg-type]
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await replies.send("from@example.org", "refused@example.org", b"secret content", [])
    assert b"secret" not in b"".join(transport.writes)
    assert transport.writes[1:] == [b".\r\n", b"RSET\r\n"]


async def test_an_address_with_a_line_break_is_refused_before_anything_is_written() -> None:
    transport = ScriptedTransport([])
    replies = PipelinedReplies(transport, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="line break"):
        await replies.send("from@example.org", "a@example.org>\r\nRCPT TO:<eve@example.org", b"x", [])
    assert transport.writes == []


async def test_a_silent_server_times_out_and_the_connection_is_closed() -> None:
    transport = ScriptedTransport([b""])
    replies = PipelinedReplies(transport, 0.05)  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        await replies.send("from@example.org", "to@example.org", b"x", [])
    assert transport.closed
    assert not replies.usable
