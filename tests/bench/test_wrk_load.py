"""The booking benchmark's wrk driver, against a real HTTP server: bodies, unique patients, refusals counted."""

import asyncio
import uuid

import orjson
from aiohttp import web

from bench.wrk_load import wrk_bookings
from devstack.testing.fixtures import free_port


async def test_wrk_books_distinct_patients_and_counts_unexpected_answers() -> None:
    slots = [uuid.uuid4() for _ in range(3)]
    seen: list[dict] = []

    async def book(request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        seen.append(body)
        # Every fifth booking is refused, as a full slot would be.
        return web.Response(status=409 if len(seen) % 5 == 0 else 201, body=b"{}")

    app = web.Application()
    app.router.add_post("/api/appointments", book)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        patient = {"first_name": "Marie", "last_name": "Tremblay", "phone": "514 555-0123"}
        summary = await asyncio.to_thread(
            wrk_bookings, f"http://127.0.0.1:{port}/api/appointments", slots, patient, "wrktest", 4, 1.0
        )
    finally:
        await runner.cleanup()

    assert len(seen) >= 20
    emails = [body["email"] for body in seen]
    assert len(set(emails)) == len(emails)
    assert all(email.startswith("wrktest") and email.endswith("@example.org") for email in emails)
    assert {body["slot_id"] for body in seen} <= {str(slot) for slot in slots}
    assert all(body["first_name"] == "Marie" and body["phone"] == "514 555-0123" for body in seen)
    refused = summary["error_kinds"].get("http 409", 0)
    # wrk stops mid-flight: a few requests the server saw may never have been answered to it.
    assert abs(refused - len(seen) // 5) <= 4
    assert summary["requests_ok"] + refused <= len(seen)
    assert summary["rps"] > 0
    assert summary["p99_ms"] >= summary["p50_ms"] > 0
    assert summary["loadgen_cpu_cores"] is not None
