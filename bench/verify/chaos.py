"""Chaos: bookings and cancellations run while each service is SIGKILLed once and the broker restarts once.

Afterwards every appointment in the database must have exactly one confirmation email, every
cancellation its notice, and every slot's seat count must equal its live appointments.
"""

import asyncio
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg

from bench.verify.environment import VerifyEnvironment
from devstack.databases import SERVICES
from tests.e2e.conftest import _add_slot

CONFIRMATION_LINK = re.compile(r"/appointments/([0-9a-f-]{36})/cancel")
VICTIMS = ("appointments", "notifications", "broker", "gateway", "accounts", "verification")
SLOTS, SEATS_PER_SLOT = 4, 600
DELIVERY_TIMEOUT = 120.0
RESTART_TIMEOUT = 90.0
LOAD_ERRORS: Counter[str] = Counter()  # what callers saw while processes were down, by status or exception


@dataclass
class Load:
    booked: dict[str, tuple[str, str]] = field(default_factory=dict)  # appointment id -> (email, manage token)
    cancelled: set[str] = field(default_factory=set)
    attempts: int = 0
    blows_done: bool = False

    def goes_on(self, deadline: float) -> bool:
        # On a slow machine restarts outlast the planned time: the load lasts until the last blow has landed.
        return time.monotonic() < deadline or not self.blows_done


async def _post(session: aiohttp.ClientSession, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    """Retries through the outages; the idempotency key makes a retried booking count once."""
    for _ in range(40):
        try:
            async with session.post(url, json=body, headers=headers) as response:
                if response.status in (200, 201):
                    return await response.json()
                if response.status < 500:
                    return None
                status = str(response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            status = type(exc).__name__
        LOAD_ERRORS[status] += 1
        await asyncio.sleep(0.25)
    return None


async def _worker(gateway: str, slots: list[uuid.UUID], load: Load, deadline: float, pace: float, n: int) -> None:
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        i = 0
        while load.goes_on(deadline):
            i += 1
            load.attempts += 1
            email = f"chaos.{n}.{i}.{uuid.uuid4().hex[:6]}@example.org"
            body = {"slot_id": str(slots[i % len(slots)]), "first_name": "Chaos", "last_name": f"Patient{n}x{i}",
                    "email": email, "language": "en"}  # fmt: skip
            booked = await _post(session, f"{gateway}/api/appointments", body, {"idempotency-key": uuid.uuid4().hex})
            if booked is not None:
                load.booked[booked["id"]] = (email, booked["manage_token"])
                if i % 4 == 0:  # one booking in four is cancelled by its patient
                    url = f"{gateway}/api/appointments/{booked['id']}/cancel"
                    if await _post(session, url, {"token": booked["manage_token"]}, {}) is not None:
                        load.cancelled.add(booked["id"])
            await asyncio.sleep(pace)


def _chaos_schedule(env: VerifyEnvironment, seconds: float, began: float, log: list[dict[str, Any]]) -> None:
    """One blow every seconds/7: each service killed with SIGKILL and restarted, the broker restarted."""
    for index, victim in enumerate(VICTIMS, start=1):
        time.sleep(max(0.0, began + seconds * index / (len(VICTIMS) + 1) - time.monotonic()))
        at = round(time.monotonic() - began, 1)
        if victim == "broker":
            away = env.broker.restart()
        else:
            killed = time.monotonic()
            env.stack.kill(victim)
            env.stack.start(victim)
            env.stack.wait_ready(victim, timeout=RESTART_TIMEOUT)
            away = time.monotonic() - killed
        log.append({"victim": victim, "at_s": at, "down_s": round(away, 1)})


async def _database_state(url: str, slots: list[uuid.UUID]) -> dict[str, Any]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch("SELECT id::text, status FROM appointments WHERE slot_id = ANY($1)", slots)
        seats = await conn.fetch(
            "SELECT s.id, s.booked, s.capacity, count(a.id) FILTER (WHERE a.status <> 'cancelled') AS live "
            "FROM slots s LEFT JOIN appointments a ON a.slot_id = s.id WHERE s.id = ANY($1) GROUP BY s.id",
            slots,
        )
        unpublished = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        return {
            "appointments": {r["id"]: r["status"] for r in rows},
            "inconsistent_slots": [
                f"{r['id']}: booked={r['booked']} live={r['live']} capacity={r['capacity']}"
                for r in seats
                if r["booked"] != r["live"] or r["booked"] > r["capacity"]
            ],
            "unpublished": unpublished,
        }
    finally:
        await conn.close()


def _confirmations(env: VerifyEnvironment, ids: set[str]) -> tuple[Counter[str], int]:
    """Distinct confirmation messages per appointment, and SMTP repeats of a Message-ID already received."""

    def ours(mails: list[Any]) -> list[str]:
        return [m.group(1) for mail in mails if (m := CONFIRMATION_LINK.search(mail.body)) and m.group(1) in ids]

    distinct = ours(env.mail_sink.messages())
    return Counter(distinct), len(ours(env.mail_sink.transmissions())) - len(distinct)


def _cancellation_notices(env: VerifyEnvironment, emails: set[str]) -> Counter[str]:
    return Counter(
        recipient
        for mail in env.mail_sink.messages()
        if mail.subject.startswith("Appointment cancelled")
        for recipient in mail.recipients
        if recipient in emails
    )


def check_chaos(env: VerifyEnvironment, seconds: float = 60.0, workers: int = 4, pace: float = 0.05) -> dict[str, Any]:
    urls = env.database_urls
    service_id = env.clinics[0].catalogue.service_id
    starts = (datetime.now(UTC) + timedelta(days=5)).replace(hour=14, minute=0, second=0, microsecond=0)
    slots = [
        asyncio.run(_add_slot(urls["appointments"], service_id, starts + timedelta(minutes=15 * k), SEATS_PER_SLOT))
        for k in range(SLOTS)
    ]
    load, blows = Load(), []
    LOAD_ERRORS.clear()

    async def run() -> None:
        began = time.monotonic()

        async def chaos() -> None:
            try:
                await asyncio.to_thread(_chaos_schedule, env, seconds, began, blows)
            finally:
                load.blows_done = True

        deadline = began + seconds
        await asyncio.gather(chaos(), *(_worker(env.gateway, slots, load, deadline, pace, n) for n in range(workers)))

    began = time.monotonic()
    asyncio.run(run())
    load_seconds = time.monotonic() - began
    for name in SERVICES:
        env.stack.wait_ready(name, path="/readyz", timeout=60)

    # Every live appointment in the database expects its confirmation, whether or not its caller saw the
    # 201. A cancelled one expects its cancellation notice; its confirmation is optional, because
    # notifications drops a confirmation that its cancellation overtook (it would contradict the notice).
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while True:
        state = asyncio.run(_database_state(urls["appointments"], slots))
        ids = set(state["appointments"])
        live = {a for a, status in state["appointments"].items() if status != "cancelled"}
        confirmations, _ = _confirmations(env, ids)
        cancelled_emails = {load.booked[a][0] for a in load.cancelled}
        notices = _cancellation_notices(env, cancelled_emails)
        done = live <= set(confirmations) and set(notices) == cancelled_emails and state["unpublished"] == 0
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    time.sleep(3.0)  # a duplicate, if any, would arrive now
    confirmations, smtp_repeats = _confirmations(env, ids)
    notices = _cancellation_notices(env, cancelled_emails)
    lost = sorted(live - set(confirmations)) + sorted(cancelled_emails - set(notices))
    duplicated = [a for a, n in confirmations.items() if n > 1] + [e for e, n in notices.items() if n > 1]
    unknown_to_db = sorted(set(load.booked) - ids)
    not_cancelled = sorted(a for a in load.cancelled if state["appointments"].get(a) != "cancelled")
    return {
        "load_seconds": round(load_seconds, 1),
        "blows": blows,
        "booking_attempts": load.attempts,
        "bookings_acknowledged": len(load.booked),
        "appointments_in_database": len(ids),
        "cancellations": len(load.cancelled),
        "errors_seen_by_callers": dict(LOAD_ERRORS),
        "confirmation_emails": sum(confirmations.values()),
        "confirmations_overtaken_by_cancellation": len(ids - live - set(confirmations)),
        "cancellation_notices": sum(notices.values()),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "smtp_retransmissions_same_message_id": smtp_repeats,
        "acknowledged_but_missing_in_db": unknown_to_db,
        "cancelled_but_not_in_db": not_cancelled,
        "inconsistent_slots": state["inconsistent_slots"],
        "outbox_unpublished": state["unpublished"],
        # 502/503 while a process is down are the expected answer; a 500 is a bug whatever the chaos.
        "server_errors_500": LOAD_ERRORS["500"],
        "passed": all(
            (
                bool(ids),
                len(blows) == len(VICTIMS),
                not lost,
                not duplicated,
                not unknown_to_db,
                LOAD_ERRORS["500"] == 0,
                not not_cancelled,
                not state["inconsistent_slots"],
                state["unpublished"] == 0,
            )
        ),
    }
