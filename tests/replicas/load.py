"""A client that books and cancels as a careful app does: on a 5xx or a dropped connection it retries
the same request (the booking with the same Idempotency-Key), through the other gateway replica."""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

RETRYABLE_STATUSES = {502, 503, 504}
# A failed attempt is retried at once on the other gateway, then after this pause (the restart).
RETRY_PAUSE_SECONDS = 0.2

Answer = tuple[int, Any, Mapping[str, str]]  # status, JSON body, headers


@dataclass
class LoadReport:
    """What the client saw: final outcomes, and every refused or dropped attempt on the way."""

    booked: dict[str, dict[str, Any]] = field(default_factory=dict)  # email -> booking response
    cancelled: set[str] = field(default_factory=set)  # appointment ids
    retried: Counter[str] = field(default_factory=Counter)  # why an attempt was retried
    replays: int = 0  # bookings answered from the Idempotency-Key (the first answer was lost)


class ReplicaClient:
    def __init__(self, session: aiohttp.ClientSession, gateways: list[str], report: LoadReport, deadline: float):
        self._session = session
        self._gateways = gateways
        self._report = report
        self._deadline = deadline

    async def _post(self, attempt_index: int, path: str, body: dict[str, Any], headers: dict[str, str]) -> Answer:
        gateway = self._gateways[attempt_index % len(self._gateways)]
        async with self._session.post(gateway + path, json=body, headers=headers) as response:
            return response.status, await response.json(content_type=None), response.headers

    async def _with_retries(
        self, start: int, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, Any, Mapping[str, str], int]:
        """The first answer that is not a 5xx of an unreachable upstream, and how many attempts failed before."""
        attempt = 0
        while True:
            try:
                status, payload, response_headers = await self._post(start + attempt, path, body, headers)
                if status not in RETRYABLE_STATUSES:
                    return status, payload, response_headers, attempt
                self._report.retried[f"http {status}"] += 1
            except (TimeoutError, aiohttp.ClientConnectionError) as exc:
                self._report.retried[type(exc).__name__] += 1
            attempt += 1
            if time.monotonic() > self._deadline:
                raise AssertionError(f"{path} still failing after {attempt} attempts")
            if attempt % len(self._gateways) == 0:
                await asyncio.sleep(RETRY_PAUSE_SECONDS)

    async def book(self, index: int, slot_id: uuid.UUID, email: str) -> dict[str, Any]:
        body = {"slot_id": str(slot_id), "first_name": "Réplique", "last_name": f"Patient{index}", "email": email}
        headers = {"Idempotency-Key": f"replica-test-{uuid.uuid4()}"}
        status, payload, response_headers, _ = await self._with_retries(index, "/api/appointments", body, headers)
        assert status == 201, f"booking {index}: {status} {payload}"
        if response_headers.get("Idempotent-Replayed") == "true":
            self._report.replays += 1
        self._report.booked[email] = payload
        return payload

    async def cancel(self, index: int, appointment: dict[str, Any]) -> None:
        path = f"/api/appointments/{appointment['id']}/cancel"
        status, payload, _, attempts = await self._with_retries(index, path, {"token": appointment["manage_token"]}, {})
        # A retried cancellation whose first answer was lost finds the work done.
        already_done = attempts > 0 and status == 409 and payload["errors"][0]["code"] == "not_cancellable"
        assert status == 200 or already_done, f"cancel {index}: {status} {payload}"
        self._report.cancelled.add(appointment["id"])


def patient_email(run: str, index: int) -> str:
    """One address per booking: the mailbox tells the booking's messages apart by recipient."""
    return f"replica.{run}.{index}@example.org"
