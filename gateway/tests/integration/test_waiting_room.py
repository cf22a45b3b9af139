"""The waiting room with the real gateway app and PostgreSQL (the gateway's own database): queued answers,
FIFO admission as the shared counter advances, admitted visitors passing, forged or expired tickets sent to
the back, one order across two gateway instances, the operator's switch, the overload budget, the metrics.

The admission rate is set so low that the counter never moves by itself in the gateways here: each test moves
it with SQL, as a replica's step would, and waits for the gateways' next read of it. The rate's own tests drive
the room object directly, with a clock of their own, so that they count admissions, never time them."""

import asyncio
import contextlib
import re
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import httpx
import jwt
import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from devstack.databases import prepare_gateway_database
from devstack.jwt_keys import generate_es256_keypair
from devstack.testing.fixtures import drop_databases, free_port, run_sync
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway.tests.integration.test_client_address import PUBLIC, _serve
from gateway.waiting_room import queries
from gateway.waiting_room.room import WaitingRoom, open_pool
from gateway.waiting_room.rules import API_RETRY_AFTER_CAP_SECONDS, Budget, RateBounds, Ticket, sign_ticket
from shared.db import asyncpg_dsn
from shared.settings import DEV_SECRET

KEY = DEV_SECRET.encode()
TICKET = "waiting-room-ticket"
ADMISSION = "waiting-room-admission"
BOOKING = {"slot_id": str(uuid.UUID(int=1))}


@pytest.fixture(scope="module")
def gateway_database(pg_admin_url: str, test_db_prefix: str) -> Iterator[str]:
    prefix = f"{test_db_prefix}wr_"
    yield prepare_gateway_database(pg_admin_url, prefix=prefix, drop_first=True)
    run_sync(drop_databases(pg_admin_url, [f"{prefix}gateway"]))


@pytest.fixture
async def db(gateway_database: str) -> AsyncIterator[asyncpg.Connection]:
    """The gateway database, its waiting room reset (no ticket drawn, closed)."""
    connection = await asyncpg.connect(asyncpg_dsn(gateway_database))
    await connection.execute("ALTER SEQUENCE waiting_room_tickets RESTART")
    await connection.execute("TRUNCATE waiting_room_admissions")  # the numbers start again
    await connection.execute(
        "UPDATE waiting_room SET opened_by_operator = false, admitted_up_to = 0, advanced_at = now()"
    )
    try:
        yield connection
    finally:
        await connection.close()


class Upstream:
    """Every service the gateway calls: bookings and searches answered, and counted; /slots?slow=1 lingers."""

    def __init__(self) -> None:
        self.bookings = 0
        self.searches = 0
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        if request.path == "/session-revocations":
            return web.json_response([])
        if request.path == "/staff/me":  # the console's header
            return web.json_response({"id": "o", "name": "Test operator", "role": "operator", "roles": []})
        if request.path == "/appointments" and request.method == "POST":
            self.bookings += 1
            return web.json_response({"id": str(uuid.uuid4())}, status=201)
        if request.path in ("/slots", "/search"):
            self.searches += 1
            if request.query.get("slow"):
                await self.release.wait()
            return web.json_response({"results": [], "total": 0, "offset": 0, "limit": 20})
        return web.json_response({"errors": []}, status=404)


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Upstream, str]]:
    fake = Upstream()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield fake, f"http://127.0.0.1:{port}"
    fake.release.set()
    await runner.cleanup()


async def start_gateway(upstream_url: str, database_url: str, **overrides: object) -> tuple[str, int, object]:
    metrics_port = free_port()
    chosen: dict[str, object] = {
        "accounts_url": upstream_url,
        "appointments_url": upstream_url,
        "verification_url": upstream_url,
        "notifications_url": upstream_url,
        "jwt_public_key": PUBLIC,
        "insecure_cookies": True,
        "database_url": database_url,
        "metrics_port": metrics_port,
        # Never by itself within a test: a rate pinned so low that it admits nobody, whatever the load.
        "waiting_room_admit_per_second": 0.0001,
        "waiting_room_min_admit_per_second": 0.0001,
        "waiting_room_max_admit_per_second": 0.0001,
        "waiting_room_refresh_seconds": 0.05,
    }
    settings = GatewaySettings(**(chosen | overrides))  # type: ignore[arg-type]
    port = free_port()
    server, task = await _serve(create_app(settings), port)
    return f"http://127.0.0.1:{port}", metrics_port, (server, task)


async def stop_gateway(handle: object) -> None:
    server, task = handle  # type: ignore[misc]
    server.should_exit = True
    await asyncio.wait_for(task, 10)


@pytest.fixture
async def gateway(upstream, db, gateway_database) -> AsyncIterator[str]:
    """One gateway whose waiting room its setting opened."""
    url, _, handle = await start_gateway(upstream[1], gateway_database, waiting_room_open=True)
    yield url
    await stop_gateway(handle)


Answer = tuple[int, CIMultiDictProxy[str] | CIMultiDict[str], dict]


async def book(http: aiohttp.ClientSession, gateway: str, **headers: str) -> Answer:
    async with http.post(f"{gateway}/api/appointments", json=BOOKING, headers=headers) as answer:
        return answer.status, answer.headers.copy(), await answer.json()


async def admit_up_to(db: asyncpg.Connection, number: int) -> None:
    await db.execute("UPDATE waiting_room SET admitted_up_to = $1", number)
    await asyncio.sleep(0.3)  # the gateways' next read (every 0.05 s), with room for a loaded machine


async def test_a_booking_in_an_open_room_gets_429_with_a_ticket_retry_after_and_its_place(gateway, upstream):
    fake, _ = upstream
    async with aiohttp.ClientSession() as http:
        status, headers, body = await book(http, gateway)
        second = await book(http, gateway)
    assert status == 429
    # Far back in a slow queue: the API client checks again within a minute at most (rules.API_RETRY_AFTER_CAP).
    assert 1 <= int(headers["Retry-After"]) <= API_RETRY_AFTER_CAP_SECONDS
    assert headers["Cache-Control"] == "no-store"
    assert body["code"] == "waiting_room"
    assert body["position"] == 1
    assert body["estimated_wait_seconds"] >= 1
    assert body["ticket"] == headers["Waiting-Room-Ticket"]
    assert body["errors"][0]["code"] == "waiting_room"
    assert body["errors"][0]["message"]["fr"]
    assert second[0] == 429
    assert second[2]["position"] == 2
    assert fake.bookings == 0  # nothing reached the service


async def test_tickets_are_admitted_in_fifo_order_as_the_counter_advances(gateway, upstream, db):
    fake, _ = upstream
    async with aiohttp.ClientSession() as http:
        tickets = [(await book(http, gateway))[2]["ticket"] for _ in range(3)]
        await admit_up_to(db, 1)
        first = await book(http, gateway, **{TICKET: tickets[0]})
        second = await book(http, gateway, **{TICKET: tickets[1]})
        third = await book(http, gateway, **{TICKET: tickets[2]})
        assert first[0] == 201
        assert (second[0], second[2]["position"]) == (429, 1)
        assert (third[0], third[2]["position"]) == (429, 2)
        assert second[2]["ticket"] == tickets[1]  # the same place, not a new ticket

        await admit_up_to(db, 3)
        assert (await book(http, gateway, **{TICKET: tickets[1]}))[0] == 201
        assert (await book(http, gateway, **{TICKET: tickets[2]}))[0] == 201
        # A newcomer still queues (the room is open), behind everyone: ticket 4.
        newcomer = await book(http, gateway)
        assert (newcomer[0], newcomer[2]["position"]) == (429, 1)
        assert newcomer[2]["ticket"].startswith("4.")

        # The admitted visitor keeps passing with the admission, without a ticket.
        admission = first[1]["Waiting-Room-Admission"]
        again = [await book(http, gateway, **{ADMISSION: admission}) for _ in range(3)]
    assert [answer[0] for answer in again] == [201, 201, 201]
    assert fake.bookings == 6


async def test_a_forged_altered_foreign_or_expired_ticket_gets_a_new_place_at_the_back(gateway, db):
    async with aiohttp.ClientSession() as http:
        for _ in range(5):
            await book(http, gateway)
        await admit_up_to(db, 2)
        valid = sign_ticket(KEY, Ticket(1, int(time.time())))
        cheats = [
            valid[:-3] + "AAA",  # signature changed
            "1." + valid.split(".", 1)[1].replace(valid.split(".")[1], str(int(valid.split(".")[1]) + 1)),
            sign_ticket(b"not the gateway's key" * 2, Ticket(1, int(time.time()))),
            sign_ticket(KEY, Ticket(1, int(time.time()) - 3600 - 60)),  # past the 1 h lifetime
            "1",
        ]
        answers = [await book(http, gateway, **{TICKET: cheat}) for cheat in cheats]
        honest = await book(http, gateway, **{TICKET: valid})
    assert [answer[0] for answer in answers] == [429] * 5
    # New tickets 6..10, behind the five already drawn: never the forged number 1.
    assert [answer[2]["ticket"].split(".")[0] for answer in answers] == ["6", "7", "8", "9", "10"]
    assert [answer[2]["position"] for answer in answers] == [4, 5, 6, 7, 8]
    assert honest[0] == 201


async def test_a_ticket_mints_its_admission_once_then_within_the_grace_only_then_goes_to_the_back(
    gateway, upstream, db
):
    """A ticket whose turn came is no pass for its life: presented again within the grace (an answer lost on
    the way) it mints an admission again; after it, it is spent and its holder queues at the end."""
    fake, _ = upstream
    async with aiohttp.ClientSession() as http:
        tickets = [(await book(http, gateway))[2]["ticket"] for _ in range(3)]
        await admit_up_to(db, 1)
        first = await book(http, gateway, **{TICKET: tickets[0]})
        lost = await book(http, gateway, **{TICKET: tickets[0]})  # the first answer never arrived
        assert (first[0], lost[0]) == (201, 201)
        assert first[1]["Waiting-Room-Admission"]
        assert lost[1]["Waiting-Room-Admission"]
        recorded = await db.fetch("SELECT ticket FROM waiting_room_admissions")
        assert [row["ticket"] for row in recorded] == [1]
        await db.execute("UPDATE waiting_room_admissions SET admitted_at = now() - interval '121 seconds'")
        spent = await book(http, gateway, **{TICKET: tickets[0]})
    assert spent[0] == 429
    assert spent[2]["ticket"].startswith("4.")  # a new ticket, behind the two still waiting
    assert spent[2]["position"] == 3
    assert "Waiting-Room-Admission" not in spent[1]
    assert fake.bookings == 2


async def test_an_admission_lets_through_only_so_many_requests_then_its_holder_queues(upstream, db, gateway_database):
    fake, upstream_url = upstream
    url, _, handle = await start_gateway(
        upstream_url, gateway_database, waiting_room_open=True, waiting_room_admission_max_requests=3
    )
    try:
        async with aiohttp.ClientSession() as http:
            ticket = (await book(http, url))[2]["ticket"]
            await admit_up_to(db, 1)
            admitted = await book(http, url, **{TICKET: ticket})  # minting it is not one of its uses
            admission = admitted[1]["Waiting-Room-Admission"]
            used = [await book(http, url, **{ADMISSION: admission}) for _ in range(4)]
    finally:
        await stop_gateway(handle)
    assert admitted[0] == 201
    assert [answer[0] for answer in used] == [201, 201, 201, 429]
    assert used[3][2]["ticket"].startswith("2.")  # a new place, at the end
    assert fake.bookings == 4


async def test_two_gateway_instances_sharing_the_database_give_one_fifo_order(upstream, db, gateway_database):
    fake, upstream_url = upstream
    a, _, handle_a = await start_gateway(upstream_url, gateway_database, waiting_room_open=True)
    b, _, handle_b = await start_gateway(upstream_url, gateway_database, waiting_room_open=True)
    try:
        async with aiohttp.ClientSession() as http:
            order = (a, b, a, b, b, a)
            drawn = [await book(http, gateway) for gateway in order]
            numbers = [int(answer[2]["ticket"].split(".")[0]) for answer in drawn]
            assert numbers == [1, 2, 3, 4, 5, 6]
            assert [answer[2]["position"] for answer in drawn] == [1, 2, 3, 4, 5, 6]
            await admit_up_to(db, 3)
            # Each ticket presented to the other instance: the same counter decides.
            crossed = [
                await book(http, b if gateway == a else a, **{TICKET: answer[2]["ticket"]})
                for gateway, answer in zip(order, drawn, strict=True)
            ]
    finally:
        await stop_gateway(handle_a)
        await stop_gateway(handle_b)
    assert [answer[0] for answer in crossed] == [201, 201, 201, 429, 429, 429]
    assert [answer[2]["position"] for answer in crossed[3:]] == [1, 2, 3]
    assert fake.bookings == 3


async def test_the_operator_closing_the_room_lets_everyone_waiting_in(upstream, db, gateway_database):
    _, upstream_url = upstream
    url, _, handle = await start_gateway(upstream_url, gateway_database)
    pool = await asyncpg.create_pool(asyncpg_dsn(gateway_database), min_size=0, max_size=1)
    try:
        await queries.set_opened(pool, True)
        await asyncio.sleep(0.3)
        async with aiohttp.ClientSession() as http:
            waiting = [await book(http, url) for _ in range(3)]
            assert [answer[0] for answer in waiting] == [429, 429, 429]
            await queries.set_opened(pool, False)
            await asyncio.sleep(0.3)
            after = [await book(http, url, **{TICKET: answer[2]["ticket"]}) for answer in waiting]
            newcomer = await book(http, url)
    finally:
        await pool.close()
        await stop_gateway(handle)
    assert [answer[0] for answer in after] == [201, 201, 201]
    assert newcomer[0] == 201  # closed, nobody waiting, within budget: straight through


async def test_over_its_in_flight_budget_a_replica_queues_new_visitors_and_admitted_ones_still_pass(
    upstream, db, gateway_database
):
    fake, upstream_url = upstream
    url, _, handle = await start_gateway(upstream_url, gateway_database, waiting_room_max_in_flight=1)
    try:
        async with aiohttp.ClientSession() as http:
            slow = asyncio.create_task(http.get(f"{url}/api/slots?slow=1"))
            for _ in range(100):
                if fake.searches:
                    break
                await asyncio.sleep(0.02)
            async with http.get(f"{url}/api/slots") as queued:
                assert queued.status == 429
                ticket = queued.headers["Waiting-Room-Ticket"]
            fake.release.set()
            assert (await slow).status == 200
            # Within budget again, but someone waits: a newcomer queues behind them.
            async with http.get(f"{url}/api/slots") as newcomer:
                assert newcomer.status == 429
                assert (await newcomer.json())["position"] == 2
            await admit_up_to(db, 1)
            async with http.get(f"{url}/api/slots", headers={TICKET: ticket}) as admitted:
                assert admitted.status == 200
    finally:
        await stop_gateway(handle)


async def test_other_traffic_is_never_queued(gateway, upstream):
    async with aiohttp.ClientSession() as http:
        for method, path in [("GET", "/healthz"), ("POST", "/api/sessions"), ("GET", "/"), ("GET", "/account/login")]:
            async with http.request(method, gateway + path, json={}) as answer:
                assert answer.status not in (429, 503), path
                assert "Waiting-Room-Ticket" not in answer.headers


async def test_the_portal_gets_the_bilingual_waiting_page_then_the_page_asked_for(gateway, db):
    search = "/?postal_code=H2X1Y4&service=vaccin"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # cookies for 127.0.0.1
        async with http.get(gateway + search, headers={"accept-language": "en"}) as waiting:
            page = await waiting.text()
            assert waiting.status == 503
            assert 1 <= int(waiting.headers["Retry-After"]) <= 15  # a person's page: its own refresh period
            assert '<html lang="en"' in page
            assert "You are in the queue" in page
            assert 'http-equiv="refresh" content="15;url=/?postal_code=H2X1Y4&amp;service=vaccin"' in page
            assert 'id="waiting-room-position" aria-live="polite">1<' in page
            assert "keep this page open" in page
        async with http.get(gateway + search + "&lang=fr") as again:
            assert again.status == 503
            assert "Vous êtes dans la file" in await again.text()
            # Its cookie's ticket, not a second place.
            assert 'id="waiting-room-position" aria-live="polite">1<' in await again.text()
        await admit_up_to(db, 1)
        async with http.get(gateway + search) as admitted:
            assert admitted.status == 200
            assert "waiting-room-position" not in await admitted.text()
        # The admission cookie lets the visitor on through the booking pages.
        async with http.get(gateway + search) as later:
            assert later.status == 200


async def test_the_metrics_show_the_room(upstream, db, gateway_database):
    _, upstream_url = upstream
    url, metrics_port, handle = await start_gateway(upstream_url, gateway_database, waiting_room_open=True)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(3):
                await book(http, url)
            await asyncio.sleep(0.3)
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as answer:
                metrics = await answer.text()
    finally:
        await stop_gateway(handle)
    assert "clinic_waiting_room_open 1.0" in metrics
    assert "clinic_waiting_room_queue_length 3.0" in metrics
    assert "clinic_waiting_room_admit_rate 0.0001" in metrics  # this replica's rate, pinned here
    assert 'clinic_waiting_room_decisions_total{outcome="queued"}' in metrics


async def test_the_time_to_refuse(gateway, capsys):
    """Reported, not asserted: the queued answer's time seen by a client on loopback (load generator included)."""
    async with aiohttp.ClientSession() as http:
        await book(http, gateway)
        ticket = (await book(http, gateway))[2]["ticket"]
        timings: dict[str, list[float]] = {"new visitor (one nextval)": [], "ticket holder (no round trip)": []}
        for _ in range(200):
            started = time.perf_counter()
            status, _, _ = await book(http, gateway)
            timings["new visitor (one nextval)"].append(time.perf_counter() - started)
            started = time.perf_counter()
            held, _, _ = await book(http, gateway, **{TICKET: ticket})
            timings["ticket holder (no round trip)"].append(time.perf_counter() - started)
            assert (status, held) == (429, 429)
    with capsys.disabled():
        for name, values in timings.items():
            values.sort()
            print(
                f"\nwaiting room refusal, {name}: median {statistics.median(values) * 1000:.2f} ms, "
                f"p99 {values[int(len(values) * 0.99)] * 1000:.2f} ms, max {values[-1] * 1000:.2f} ms"
            )


async def test_a_queued_form_post_gets_the_waiting_page_leading_back_to_the_form_never_elsewhere(gateway):
    """A form's POST cannot be replayed: the page leads back to the page the form was on, when it is ours."""
    async with aiohttp.ClientSession() as http:
        ours = {"referer": f"{gateway}/book/0b6a?day=2027-03-15", "host": gateway.removeprefix("http://")}
        async with http.post(f"{gateway}/book", data={"slot_id": "x"}, headers=ours) as answer:
            page = await answer.text()
            assert answer.status == 503
            assert 'content="15;url=/book/0b6a?day=2027-03-15"' in page
        elsewhere = {"referer": "https://evil.example/book/1"}
        async with http.post(f"{gateway}/book", data={"slot_id": "x"}, headers=elsewhere) as answer:
            assert 'content="15;url=/"' in await answer.text()


@pytest.fixture
async def silent_database() -> AsyncIterator[str]:
    """A database address that accepts connections and never answers (a host gone silent, not refusing)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    port = free_port()
    server = await asyncio.start_server(hold, "127.0.0.1", port)
    yield f"postgresql+asyncpg://clinic:clinic@127.0.0.1:{port}/gateway"
    for writer in held:
        writer.close()
    server.close()


async def test_with_its_database_silent_a_guarded_request_is_answered_within_a_second_and_a_half(
    upstream, silent_database
):
    """Fail open, fast: the ticket's draw gives up within its bounds (not the driver's minute) and, the state
    unreadable, a ticket holder passes too, as newcomers do, while the replica is within its budget."""
    fake, upstream_url = upstream
    url, _, handle = await start_gateway(upstream_url, silent_database, waiting_room_open=True)
    try:
        async with aiohttp.ClientSession() as http:
            started = time.perf_counter()
            first = await asyncio.wait_for(book(http, url), 10)
            first_took = time.perf_counter() - started
            await asyncio.sleep(1.2)  # the background read has failed by now: the state is stale
            holder = sign_ticket(KEY, Ticket(50, int(time.time())))
            started = time.perf_counter()
            held = await asyncio.wait_for(book(http, url, **{TICKET: holder}), 10)
            held_took = time.perf_counter() - started
    finally:
        await stop_gateway(handle)
    assert (first[0], held[0]) == (201, 201)
    assert max(first_took, held_took) < 1.5
    assert "Waiting-Room-Admission" not in held[1]  # nothing minted without the store
    assert fake.bookings == 2


async def test_with_its_database_silent_and_over_its_budget_a_replica_refuses_with_retry_after(
    upstream, silent_database
):
    fake, upstream_url = upstream
    url, _, handle = await start_gateway(
        upstream_url, silent_database, waiting_room_open=True, waiting_room_max_in_flight=1
    )
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            slow = asyncio.create_task(http.get(f"{url}/api/slots?slow=1"))
            for _ in range(200):
                if fake.searches:
                    break
                await asyncio.sleep(0.02)
            timings = []
            for path in ("/api/slots", "/api/search"):
                started = time.perf_counter()
                async with http.get(url + path) as api:
                    timings.append(time.perf_counter() - started)
                    assert api.status == 503
                    assert api.headers["Retry-After"] == "15"
                    assert "Waiting-Room-Ticket" not in api.headers
                    assert (await api.json())["code"] == "waiting_room_full"
            await asyncio.sleep(1.2)  # stale now: refused without even trying the store
            started = time.perf_counter()
            async with http.get(url + "/?postal_code=H2X1Y4", headers={"accept-language": "en"}) as page:
                timings.append(time.perf_counter() - started)
                text = await page.text()
                assert page.status == 503
                assert page.headers["Retry-After"] == "15"
                assert "Very busy right now" in text
                assert "waiting-room-position" not in text  # no place to show
                assert 'content="15;url=/?postal_code=H2X1Y4"' in text  # it tries again by itself
            fake.release.set()
            assert (await slow).status == 200
    finally:
        await stop_gateway(handle)
    assert max(timings) < 1.5
    assert fake.searches == 1


class Clock:
    """A replica's clock the test moves: the room's rate and steps follow it, not the machine's pace."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def replica(pool: asyncpg.Pool, clock: Clock, *, start: float, floor: float = 5, ceiling: float = 2000) -> WaitingRoom:
    return WaitingRoom(
        pool,
        KEY,
        opened_by_setting=True,
        budget=Budget(max_in_flight=10, latency_budget_seconds=0.5),
        admit_per_second=start,
        admit_bounds=RateBounds(floor, ceiling),
        refresh_seconds=0.2,
        ticket_seconds=3600,
        admission_seconds=900,
        admission_grace_seconds=120,
        admission_max_requests=300,
        page_refresh_seconds=15,
        clock=clock,
    )


async def refreshed(room: WaitingRoom, clock: Clock, times: int, every: float = 0.2) -> None:
    for _ in range(times):
        clock.now += every
        await room.refresh()


@pytest.fixture
async def room_pool(db, gateway_database) -> AsyncIterator[asyncpg.Pool]:
    """The room's own pool on the reset database, with 10,000 visitors waiting (tickets drawn, none admitted)."""
    await db.execute("SELECT setval('waiting_room_tickets', 10000)")
    pool = await open_pool(asyncpg_dsn(gateway_database))
    yield pool
    await pool.close()


async def test_a_replica_within_its_budget_admits_faster_and_faster_and_one_over_it_slower_and_slower(room_pool, db):
    clock = Clock()
    within = replica(room_pool, clock, start=50)
    await refreshed(within, clock, 1)  # the first read: the replica's clock starts
    await refreshed(within, clock, 50)  # 10 s, nothing in flight
    admitted_within = await db.fetchval("SELECT admitted_up_to FROM waiting_room")
    assert within.admit_per_second == pytest.approx(50 * 1.1**10)
    # 10 s at a rate rising from 50 a second (x1.1 a second): about 835.
    assert 750 <= admitted_within <= 900

    over = replica(room_pool, clock, start=50)
    await refreshed(over, clock, 1)
    over.in_flight = 10  # at its in-flight budget: as many guarded requests as it may serve at once
    await refreshed(over, clock, 50)
    admitted_over = (await db.fetchval("SELECT admitted_up_to FROM waiting_room")) - admitted_within
    assert over.admit_per_second == pytest.approx(50 * 0.8**10)
    # 10 s at a rate falling from 50 a second (x0.8 a second): about 200.
    assert 170 <= admitted_over <= 230
    assert admitted_within > 3 * admitted_over
    assert over.state.waiting == 10000 - admitted_within - admitted_over


async def test_visitors_arriving_together_get_consecutive_places_in_their_order_from_few_statements(
    room_pool, db, monkeypatch
):
    clock = Clock()
    room = replica(room_pool, clock, start=50)
    await refreshed(room, clock, 1)
    statements: list[int] = []
    draw_tickets = queries.draw_tickets

    async def counted(pool, count: int) -> list[int]:
        statements.append(count)
        return await draw_tickets(pool, count)

    monkeypatch.setattr(queries, "draw_tickets", counted)
    tickets = await asyncio.gather(*(room.draw() for _ in range(300)))
    assert [ticket.number for ticket in tickets] == list(range(10001, 10301))  # behind the 10,000 waiting
    assert sum(statements) == 300
    assert len(statements) <= 3  # the first alone, then everyone who arrived meanwhile together

    failing = room.draw()
    await room_pool.close()  # the store goes away: the visitors waiting for a place hear it
    with pytest.raises(asyncpg.InterfaceError):
        await failing


async def test_admissions_recorded_together_each_get_their_own_answer_from_few_statements(room_pool, db, monkeypatch):
    clock = Clock()
    room = replica(room_pool, clock, start=50)
    await db.execute(
        "INSERT INTO waiting_room_admissions (ticket, admitted_at) VALUES (7, now() - interval '90 seconds')"
    )
    statements: list[list[int]] = []
    record_admissions = queries.record_admissions

    async def counted(pool, tickets: list[int]) -> list[float | None]:
        statements.append(tickets)
        return await record_admissions(pool, tickets)

    monkeypatch.setattr(queries, "record_admissions", counted)
    asked = [7, *range(100, 200), 150]  # an old admission, 100 new ones, one of them asked twice at once
    answers = await asyncio.gather(*(room.record_admission(Ticket(n, 0)) for n in asked))
    assert 89 < answers[0] < 120
    assert all(seconds is not None and seconds < 5 for seconds in answers[1:])
    assert len(statements) <= 3
    assert await db.fetchval("SELECT count(*) FROM waiting_room_admissions") == 101


async def test_a_replica_gone_quiet_after_a_slow_spell_no_longer_counts_as_overloaded(room_pool, db):
    clock = Clock()
    room = replica(room_pool, clock, start=50)
    await refreshed(room, clock, 1)
    started = room.entered()
    room.left(started - 30)  # one guarded request that took 30 s: the latency average is far over its budget
    assert room.overloaded()
    await refreshed(room, clock, 1)  # that request completed since the last read: still the latest measure
    assert room.overloaded()
    await refreshed(room, clock, 1)  # nothing completed, nothing in flight since: the average is forgotten
    assert not room.overloaded()


async def test_the_counter_moves_at_the_sum_of_the_replicas_rates_and_banks_nothing_while_nobody_waits(room_pool, db):
    clock = Clock()
    # Rates pinned by their bounds: two replicas that measured different capacities.
    a = replica(room_pool, clock, start=100, floor=100, ceiling=100)
    b = replica(room_pool, clock, start=300, floor=300, ceiling=300)
    await a.refresh()
    await b.refresh()
    for _ in range(5):  # 1 s: each replica steps every 0.2 s
        clock.now += 0.2
        await a.refresh()
        await b.refresh()
    assert await db.fetchval("SELECT admitted_up_to FROM waiting_room") == 400  # 100 + 300 in a second
    assert a.service_rate() == pytest.approx(400, rel=0.5)  # the counter's speed, seen from either replica

    # Everyone let in, then a quiet minute: nothing is banked for the next rush.
    await db.execute("UPDATE waiting_room SET admitted_up_to = 10000")
    for _ in range(60):
        clock.now += 1
        await a.refresh()
        await b.refresh()
    await db.execute("SELECT setval('waiting_room_tickets', 20000)")  # a rush of 10,000
    clock.now += 0.2
    await a.refresh()
    await b.refresh()
    assert await db.fetchval("SELECT admitted_up_to FROM waiting_room") == 10000 + 20 + 60  # 0.2 s of each rate
    assert a.state.last_ticket == 20000


class Switchable:
    """The gateway's database behind a relay the test cuts: connections made through it are dropped and new ones
    accepted but never answered (a host gone silent), until it is switched back on."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.on = True
        self.port = free_port()
        self._writers: list[asyncio.StreamWriter] = []

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        if not self.on:
            return  # held, silent
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers.append(upstream_writer)
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    def switch(self, on: bool) -> None:
        self.on = on
        for writer in self._writers:  # either way, what went through the relay before is gone
            writer.close()
        self._writers.clear()

    async def __aenter__(self) -> "Switchable":
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.switch(False)
        self._server.close()


OPERATOR_KEY, OPERATOR_PUBLIC = generate_es256_keypair()
CSRF = "c" * 43  # the form's token and its cookie (double submit): any 43 characters the test chose


def operator(gateway: str) -> httpx.AsyncClient:
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "aud": "staff", "iss": "accounts", "role": "operator", "sid": "s"}
    token = jwt.encode(claims | {"iat": now, "exp": now + 600}, OPERATOR_KEY, algorithm="ES256")
    client = httpx.AsyncClient(base_url=gateway, follow_redirects=False, headers={"origin": gateway})
    client.cookies.set("staff_access_token", token)
    client.cookies.set("csrf", CSRF)
    return client


async def test_with_its_database_away_the_console_shows_the_last_state_read_and_its_switch_answers_503(
    upstream, db, gateway_database
):
    """Never a 500: the page says its state may be out of date and offers no switch; the switch's pages answer
    the console's bilingual "service unavailable", within the statements' bounds; nothing changed. Back, the
    switch works again."""
    _, upstream_url = upstream
    dsn = urlsplit(gateway_database)
    async with Switchable(dsn.port or 5432) as relay:
        relayed = dsn._replace(netloc=dsn.netloc.rsplit(":", 1)[0] + f":{relay.port}").geturl()
        url, _, handle = await start_gateway(upstream_url, relayed, jwt_public_key=OPERATOR_PUBLIC)
        try:
            await db.execute("UPDATE waiting_room SET opened_by_operator = true")
            await asyncio.sleep(0.3)  # the gateway's next read
            async with aiohttp.ClientSession() as http:
                assert [(await book(http, url))[0] for _ in range(2)] == [429, 429]
            async with operator(url) as console:
                page = await console.get("/admin/operator/waiting-room")
                assert page.status_code == 200
                assert "Ouverte par un opérateur" in page.text

                relay.switch(False)
                started = time.perf_counter()
                page = await console.get("/admin/operator/waiting-room")
                took = [time.perf_counter() - started]
                assert page.status_code == 503
                assert 'id="waiting-room-stale"' in page.text
                assert "peut-être plus à jour" in page.text
                state = re.search(r'id="waiting-room-state".*?</dl>', page.text, re.S)
                assert state
                values = re.findall(r'govuk-summary-list__value">\s*(.*?)\s*</dd>', state.group(0), re.S)
                assert values[:2] == ["Ouverte par un opérateur", "2"]  # the last state read: two waiting
                assert "/admin/operator/waiting-room/close" not in page.text  # no switch on a stale state

                for path in ("/close", "/open"):
                    started = time.perf_counter()
                    asked = await console.get("/admin/operator/waiting-room" + path)
                    switched = await console.post("/admin/operator/waiting-room" + path, data={"csrf_token": CSRF})
                    took.append((time.perf_counter() - started) / 2)
                    for answer in (asked, switched):
                        assert answer.status_code == 503, path
                        assert "Service momentanément indisponible" in answer.text
                        assert "Service temporarily unavailable" in answer.text  # the other language below
                assert max(took) < 2.5  # the statements' bounds, never the driver's minute
                assert await db.fetchval("SELECT opened_by_operator FROM waiting_room") is True

                relay.switch(True)
                closed = await console.post("/admin/operator/waiting-room/close", data={"csrf_token": CSRF})
                assert closed.status_code == 303
                assert closed.headers["location"] == "/admin/operator/waiting-room?done=close"
                assert await db.fetchval("SELECT opened_by_operator FROM waiting_room") is False
        finally:
            await stop_gateway(handle)
