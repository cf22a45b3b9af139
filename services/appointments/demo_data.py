"""Demo catalogue: one CLSC offering vaccination with open slots for the next two weeks.

Idempotent: fixed ids, and slots that already exist are left alone.
"""

import asyncio
import sys
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from shared.db import asyncpg_dsn

NAMESPACE = uuid.UUID("6f1c2a4e-1b7e-4f59-9d0c-3c1f4a1d2b10")
TZ = ZoneInfo("America/Montreal")

ESTABLISHMENT_ID = uuid.uuid5(NAMESPACE, "establishment/clsc-des-faubourgs")
SERVICE_ID = uuid.uuid5(NAMESPACE, "service/clsc-des-faubourgs/vaccination")


def slot_times(first_day: date, days: int, opening: time, closing: time, minutes: int) -> list[datetime]:
    starts = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        moment = datetime.combine(day, opening, TZ)
        while moment.time() < closing:
            starts.append(moment)
            moment += timedelta(minutes=minutes)
    return starts


async def load_demo_data(database_url: str, days: int = 14, capacity: int = 3) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with conn.transaction():
            await conn.execute(
                """INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude, timezone)
                VALUES ($1, 'CLSC des Faubourgs', '1705, rue de la Visitation', 'Montréal', 'H2L 3C3',
                        45.5246, -73.5578, 'America/Montreal') ON CONFLICT (id) DO NOTHING""",
                ESTABLISHMENT_ID,
            )
            await conn.execute(
                """INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes)
                VALUES ($1, $2, 'Vaccination', 'Vaccination', 15) ON CONFLICT (id) DO NOTHING""",
                SERVICE_ID,
                ESTABLISHMENT_ID,
            )
            rows = [
                (
                    uuid.uuid5(NAMESPACE, f"slot/{SERVICE_ID}/{start.isoformat()}"),
                    SERVICE_ID,
                    start,
                    start + timedelta(minutes=15),
                    capacity,
                )
                for start in slot_times(date.today(), days, time(8, 0), time(16, 0), 15)
            ]
            await conn.executemany(
                """INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (id) DO NOTHING""",
                rows,
            )
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(load_demo_data(sys.argv[1]))
