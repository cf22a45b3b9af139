"""Logins through the gateway against this machine's raw argon2id verify rate, measured in the same run.

argon2 is slow on purpose, so the ceiling of logins/s is the hash, not the service: the ratio shows
how much of the cores the login path leaves to argon2 (threads, database, token signing).
"""

import asyncio
import itertools
import threading
import time
from typing import Any

import httpx
from argon2 import PasswordHasher

from bench.loadgen import closed_loop
from devstack.mail_sink import MailSink
from services.accounts.settings import AccountsSettings
from tests.e2e.accounts_flow import PASSWORD, active_account

LOGIN_EMAIL = "bench.login.{n}@example.org"
JSON_HEADERS = {"content-type": "application/json"}


def _setting(name: str) -> int:
    return int(AccountsSettings.model_fields[name].default)


def argon2_ceiling(seconds: float) -> dict[str, Any]:
    """Verifies per second with the service's own cost and concurrency, on bare threads (cffi frees the GIL)."""
    hasher = PasswordHasher(
        memory_cost=_setting("argon2_memory_kib"),
        time_cost=_setting("argon2_time_cost"),
        parallelism=_setting("argon2_parallelism"),
    )
    stored = hasher.hash(PASSWORD)
    threads = _setting("argon2_concurrency")
    counts = [0] * threads
    deadline = time.perf_counter() + seconds

    def verify(slot: int) -> None:
        while time.perf_counter() < deadline:
            hasher.verify(stored, PASSWORD)
            counts[slot] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=verify, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"threads": threads, "per_s": round(sum(counts) / (time.perf_counter() - started), 1)}


def create_accounts(gateway_url: str, sink: MailSink, count: int) -> list[str]:
    """One account per worker: accounts reserve each login try before argon2 checks it, and more than a few
    at once on one account are refused as guessing would be (ACCOUNTS_LOGIN_FAILURES_BEFORE_DELAY)."""
    emails = [LOGIN_EMAIL.format(n=n) for n in range(count)]
    with httpx.Client(base_url=gateway_url, timeout=10) as client:
        for email in emails:
            active_account(client, sink, email)
    return emails


async def login_run(session: Any, gateway_url: str, sink: MailSink, concurrency: int, seconds: float) -> dict[str, Any]:
    emails = await asyncio.to_thread(create_accounts, gateway_url, sink, concurrency)
    # Measured before and after the logins and averaged: the machine's pace drifts within a run.
    before = await asyncio.to_thread(argon2_ceiling, min(5.0, seconds) / 2)
    bodies = itertools.cycle([f'{{"identifier": "{email}", "password": "{PASSWORD}"}}'.encode() for email in emails])

    async def log_in() -> str | None:
        body = next(bodies)
        async with session.post(gateway_url + "/api/sessions", data=body, headers=JSON_HEADERS) as response:
            await response.read()
            return None if response.status == 200 else f"http {response.status}"

    result = await closed_loop(log_in, concurrency, seconds)
    after = await asyncio.to_thread(argon2_ceiling, min(5.0, seconds) / 2)
    ceiling = round((before["per_s"] + after["per_s"]) / 2, 1)
    summary = result.summary()
    summary["argon2_ceiling_per_s"] = ceiling
    summary["argon2_ceiling_before_after_per_s"] = [before["per_s"], after["per_s"]]
    summary["argon2_threads"] = before["threads"]
    summary["ratio"] = round(result.rps / ceiling, 3) if ceiling else None
    return summary
