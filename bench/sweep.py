"""Latency percentiles of bookings through the gateway against offered load (open loop)."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bench.openloop import open_loop

RATES = (100, 250, 500, 1000, 1500, 2000)
STEP_SECONDS = 5.0
MAX_IN_FLIGHT = 512
PAUSE_SECONDS = 2.0


async def load_sweep(
    call: Callable[[], Awaitable[str | None]], rates: Sequence[int] = RATES, seconds: float = STEP_SECONDS
) -> list[dict[str, Any]]:
    steps = []
    for rate in rates:
        result, skipped = await open_loop(call, rate, seconds, MAX_IN_FLIGHT)
        summary = result.summary()
        steps.append({"offered_per_s": rate, "achieved_per_s": summary["rps"], "skipped": skipped, **summary})
        # The next step starts on a stack that has answered this one's requests.
        await asyncio.sleep(PAUSE_SECONDS)
    return steps
