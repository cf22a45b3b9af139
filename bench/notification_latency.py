"""Time from a booking's HTTP response to the SMTP sink accepting its confirmation email.

Each booking uses its own address, so the sink's message for that recipient is that booking's email.
Both clocks are this machine's wall clock (time.time() and the sink's received_at).
"""

import asyncio
import itertools
import random
import time
from datetime import datetime
from typing import Any

import aiohttp
import orjson

from bench.catalogue import PATIENT, Catalogue
from bench.loadgen import percentile_ms
from bench.openloop import open_loop
from devstack.mail_sink import MailSink

JSON_HEADERS = {"content-type": "application/json"}
_addresses = itertools.count()


async def notification_latency(
    gateway_url: str, sink: MailSink, catalogue: Catalogue, rate: float, seconds: float, budget: float
) -> dict[str, Any]:
    answered: dict[str, float] = {}

    async def book(session: aiohttp.ClientSession) -> str | None:
        address = f"latency{next(_addresses)}@example.org"
        body = orjson.dumps({"slot_id": str(random.choice(catalogue.gateway_slots)), **PATIENT, "email": address})
        async with session.post(gateway_url + "/api/appointments", data=body, headers=JSON_HEADERS) as response:
            await response.read()
            if response.status != 201:
                return f"http {response.status}"
        answered[address] = time.time()
        return None

    connector = aiohttp.TCPConnector(limit=256, keepalive_timeout=60)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as session:
        result, _ = await open_loop(lambda: book(session), rate, seconds, max_in_flight=256)

    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        if len(_received(sink, answered)) >= len(answered):
            break
        await asyncio.sleep(0.2)
    received = _received(sink, answered)
    delays = [max(0.0, received[a] - answered[a]) for a in received]
    return {
        "offered_rate_per_s": rate,
        "seconds": seconds,
        "bookings": len(answered),
        "booking_errors": result.error_count,
        "booking_p99_ms": result.percentile_ms(0.99),
        "emails_received": len(received),
        "emails_missing_after_budget": len(answered) - len(received),
        "budget_seconds": budget,
        "p50_ms": percentile_ms(delays, 0.50),
        "p99_ms": percentile_ms(delays, 0.99),
        "max_ms": percentile_ms(delays, 1.0),
        "loadgen_cpu_cores": result.summary()["loadgen_cpu_cores"],
    }


def _received(sink: MailSink, answered: dict[str, float]) -> dict[str, float]:
    """First acceptance time of each booking's email (a retransmission does not count twice)."""
    first: dict[str, float] = {}
    for mail in sink.transmissions():
        for recipient in mail.recipients:
            if recipient in answered and recipient not in first:
                first[recipient] = datetime.fromisoformat(mail.received_at).timestamp()
    return first
