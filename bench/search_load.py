"""Nearby search over a large catalogue: 20,000 establishments spread over southern Québec.

The spread (45–47° N, 71–74.5° W) puts several hundred establishments within the default 25 km
of each searched postal code, so the query ranks a realistic crowd, not an empty map.
"""

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench.loadgen import closed_loop

# FSAs of that area, known to pypostalcode (Montréal, Laval, Longueuil, Québec, Sherbrooke, Trois-Rivières).
POSTAL_CODES = ("H1T", "H2X", "H3A", "H7N", "J4K", "G1R", "J1H", "G9A")
SLOTS_PER_SERVICE = 3


async def insert_establishments(dsn: str, count: int, seed: int = 9) -> None:
    """Bulk-loaded with COPY: each establishment has one service with a few free slots."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    establishments, services, slots = [], [], []
    for n in range(count):
        establishment, service = uuid.uuid4(), uuid.uuid4()
        establishments.append(
            (establishment, f"Clinique de charge {n}", f"{n} rue du Banc", "Québec", "H1T 2H1",
             rng.uniform(45.0, 47.0), rng.uniform(-74.5, -71.0))
        )  # fmt: skip
        services.append((service, establishment, "Vaccination", "Vaccination", 15))
        for day in range(1, SLOTS_PER_SERVICE + 1):
            starts = now + timedelta(days=day, minutes=rng.randrange(0, 600, 15))
            slots.append((uuid.uuid4(), service, starts, starts + timedelta(minutes=15), 10, 0))
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "establishments",
                records=establishments,
                columns=["id", "name", "address", "city", "postal_code", "latitude", "longitude"],
            )
            service_columns = ["id", "establishment_id", "name_fr", "name_en", "duration_minutes"]
            await conn.copy_records_to_table("services", records=services, columns=service_columns)
            await conn.copy_records_to_table(
                "slots", records=slots, columns=["id", "service_id", "starts_at", "ends_at", "capacity", "booked"]
            )
        await conn.execute("ANALYZE establishments; ANALYZE services; ANALYZE slots")
    finally:
        await conn.close()


async def search_run(session: Any, gateway_url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    totals: list[int] = []

    async def search() -> str | None:
        query = {"postal_code": random.choice(POSTAL_CODES), "service": "vaccination"}
        async with session.get(gateway_url + "/api/search", params=query) as response:
            if response.status != 200:
                await response.read()
                return f"http {response.status}"
            totals.append((await response.json())["total"])
        return None

    result = await closed_loop(search, concurrency, seconds)
    summary = result.summary()
    # A search that found nothing would be fast for the wrong reason.
    summary["mean_establishments_matched"] = round(sum(totals) / len(totals), 1) if totals else 0
    return summary
