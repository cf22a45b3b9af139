"""The rush's own parts: its lean HTTP client against a real server, and the FIFO inversion it reports."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bench.lean_http import LeanClient
from bench.overload import Visitor, fifo_inversions
from devstack.testing.fixtures import free_port


async def _answer(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    if request.path == "/chunked":
        response = web.StreamResponse(status=200, headers={"x-kind": "chunked"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for part in (b"first,", b"second,", body):
            await response.write(part)
        await response.write_eof()
        return response
    if request.path == "/close":
        return web.Response(status=503, body=b"bye", headers={"Connection": "close", "Retry-After": "7"})
    if request.path == "/slow":
        await asyncio.sleep(1)
    ticket = request.headers.get("waiting-room-ticket", "")
    return web.Response(status=429, body=body, headers={"Waiting-Room-Ticket": ticket or "none"})


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_the_lean_client_reads_status_headers_and_each_kind_of_body(server: str) -> None:
    client = LeanClient(server, limit=4, timeout_seconds=5)
    try:
        plain = await client.request("POST", "/api/appointments", b'{"a": 1}', [("waiting-room-ticket", "3.abc")])
        assert (plain.status, plain.body) == (429, b'{"a": 1}')
        assert plain.headers[b"waiting-room-ticket"] == b"3.abc"  # header names lower-cased
        chunked = await client.request("POST", "/chunked", b"third")
        assert (chunked.status, chunked.body, chunked.headers[b"x-kind"]) == (200, b"first,second,third", b"chunked")
        closing = await client.request("GET", "/close")
        assert (closing.status, closing.body, closing.headers[b"retry-after"]) == (503, b"bye", b"7")
        # Kept-alive connections are reused, a closed one is not: all three answers left one idle connection.
        again = await asyncio.gather(*(client.request("POST", "/x", str(n).encode()) for n in range(8)))
        assert sorted(answer.body for answer in again) == sorted(str(n).encode() for n in range(8))
    finally:
        await client.close()


async def test_the_lean_client_times_out_instead_of_waiting_for_ever(server: str) -> None:
    client = LeanClient(server, limit=1, timeout_seconds=0.2)
    try:
        with pytest.raises(TimeoutError):
            await client.request("GET", "/slow")
        assert (await client.request("GET", "/x")).status == 429  # the next request gets a fresh connection
    finally:
        await client.close()


def _visitor(number: int, wait: tuple[float, float] | None, admitted: tuple[float, float] | None) -> Visitor:
    visitor = Visitor(due=0.0, ticket=f"{number}.sig", number=number)
    if wait is not None:
        visitor.wait_sent, visitor.wait_answered = wait
    if admitted is not None:
        visitor.admitted_sent, visitor.admitted_answered = admitted
    return visitor


def test_fifo_inversions_are_zero_when_the_queue_is_served_in_order() -> None:
    visitors = [_visitor(n, (n, n + 0.1), (10 + n, 10.1 + n)) for n in range(1, 6)]
    assert fifo_inversions(visitors) == {
        "room_worst_s": 0.0,
        "room_worst_upper_s": 0.0,
        "observed_worst_s": 0.0,
        "ticketed": 5,
    }


def test_fifo_inversions_measure_how_long_someone_waited_after_a_later_ticket_got_in() -> None:
    visitors = [
        # Ticket 1 was still told to wait at 12.0-12.2, though ticket 3 had been admitted by 10.1 (left at 10.0).
        _visitor(1, (12.0, 12.2), (15.0, 15.1)),
        _visitor(2, (1.0, 1.1), (11.0, 11.1)),
        _visitor(3, (2.0, 2.1), (10.0, 10.1)),
        _visitor(4, (3.0, 3.1), None),  # gave up: never admitted
    ]
    figures = fifo_inversions(visitors)
    assert figures["room_worst_s"] == pytest.approx(12.0 - 10.1)  # its wait left after 3's admission came back
    assert figures["room_worst_upper_s"] == pytest.approx(12.2 - 10.0)
    assert figures["observed_worst_s"] == pytest.approx(15.0 - 10.0)  # 1 got in 5 s after 3 had asked and passed
    assert figures["ticketed"] == 4


def test_fifo_inversions_without_tickets_report_nothing() -> None:
    assert fifo_inversions([Visitor(due=0.0)])["room_worst_s"] is None
