"""An open-loop load generator: requests leave at a fixed rate whether or not earlier ones answered.

A closed loop slows down with the server and hides queueing; offered load is what a sweep needs.
Latency counts from the moment a request was due, so a generator running late is not flattering.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from bench.loadgen import LoadResult

# A call answers None on success, otherwise a short error kind that is counted.
Call = Callable[[], Awaitable[str | None]]
OnSuccess = Callable[[float], None]


async def open_loop(
    call: Call,
    rate: float,
    seconds: float,
    max_in_flight: int,
    on_success: OnSuccess | None = None,
) -> tuple[LoadResult, int]:
    """The run's result and how many due requests were skipped because `max_in_flight` were pending.

    `on_success` receives the wall-clock time (time.time()) of each successful answer.
    """
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    in_flight: set[asyncio.Task[None]] = set()
    skipped = 0
    interval = 1.0 / rate
    total = int(rate * seconds)

    async def one(due: float) -> None:
        try:
            outcome = await call()
        except Exception as exc:  # noqa: BLE001 - a failed request is a data point, not a crash
            outcome = type(exc).__name__
        if outcome is None:
            latencies.append(time.perf_counter() - due)
            if on_success is not None:
                on_success(time.time())
        else:
            errors[outcome] += 1

    loop_cpu, process_cpu, started = time.thread_time(), time.process_time(), time.perf_counter()
    for n in range(total):
        due = started + n * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(in_flight) >= max_in_flight:
            skipped += 1
            continue
        task = asyncio.create_task(one(due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    sending = time.perf_counter() - started
    if in_flight:
        await asyncio.gather(*in_flight)
    errors.update({"skipped (too many in flight)": skipped} if skipped else {})
    result = LoadResult(
        wall_seconds=sending,
        latencies=latencies,
        errors=errors,
        loop_cpu_seconds=time.thread_time() - loop_cpu,
        process_cpu_seconds=time.process_time() - process_cpu,
    )
    return result, skipped
