"""A lean HTTP/1.1 client for the open-loop phases: keep-alive connections on asyncio streams, nothing else.

aiohttp spent 0.34-0.38 ms of CPU per booking request in the pipeline phase (its request and response
objects, cookie jar, tracing hooks): at the rush's thousands of requests a second, a core the platform under
test would lack. This one writes a prepared request and reads the status, the headers and a
Content-Length or chunked body: all the gateway answers with.
"""

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[bytes, bytes]  # names lower-cased
    body: bytes


class LeanClient:
    def __init__(self, base_url: str, limit: int, timeout_seconds: float) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._authority = f"{self._host}:{self._port}".encode()
        self._idle: list[Connection] = []
        self._slots = asyncio.Semaphore(limit)
        self._timeout = timeout_seconds

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: Iterable[tuple[str, str]] = ()
    ) -> Answer:
        """The answer, or TimeoutError after the timeout (waiting for a connection included)."""
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers)
        head = (
            f"{method} {path} HTTP/1.1\r\nhost: {self._authority.decode()}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n{extra}\r\n"
        )
        async with asyncio.timeout(self._timeout), self._slots:
            reader, writer = self._idle.pop() if self._idle else await asyncio.open_connection(self._host, self._port)
            try:
                writer.write(head.encode("latin-1") + body)
                answer, keep = await _read_answer(reader)
            except BaseException:
                writer.close()
                raise
            if keep:
                self._idle.append((reader, writer))
            else:
                writer.close()
            return answer

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for _, writer in idle:
            writer.close()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[Answer, bool]:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw[:-4].split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if b"content-length" in headers:
        body = await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = await _read_chunked(reader)
    else:
        body = await reader.read()  # delimited by the connection's end
        return Answer(status, headers, body), False
    return Answer(status, headers, body), headers.get(b"connection", b"").lower() != b"close"


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are sent to us: the empty line ends the body
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
