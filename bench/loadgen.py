"""A closed-loop load generator: each worker sends its next request as soon as the previous one answered."""

import asyncio
import math
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# A call answers None on success, otherwise a short error kind that is counted.
Call = Callable[[], Awaitable[str | None]]

CPU_COUNT = os.cpu_count() or 1


def percentile_ms(seconds: list[float], q: float) -> float | None:
    """Nearest-rank percentile, in milliseconds."""
    if not seconds:
        return None
    ordered = sorted(seconds)
    rank = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return round(ordered[rank] * 1000, 2)


@dataclass
class LoadResult:
    wall_seconds: float
    latencies: list[float]
    errors: Counter[str]
    loop_cpu_seconds: float
    process_cpu_seconds: float

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rps(self) -> float:
        return self.ok / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def percentile_ms(self, q: float) -> float | None:
        return percentile_ms(self.latencies, q)

    def summary(self) -> dict[str, object]:
        return {
            "seconds": round(self.wall_seconds, 2),
            "requests_ok": self.ok,
            "errors": self.error_count,
            "error_kinds": dict(self.errors),
            "rps": round(self.rps, 1),
            "p50_ms": self.percentile_ms(0.50),
            "p95_ms": self.percentile_ms(0.95),
            "p99_ms": self.percentile_ms(0.99),
            "max_ms": self.percentile_ms(1.0),
            "loadgen_cpu_cores": round(self.loop_cpu_seconds / self.wall_seconds, 3),
            "loadgen_cpu_share_of_machine": round(self.loop_cpu_seconds / self.wall_seconds / CPU_COUNT, 3),
            "bench_process_cpu_cores": round(self.process_cpu_seconds / self.wall_seconds, 3),
        }


async def closed_loop(call: Call, concurrency: int, seconds: float) -> LoadResult:
    """Latencies are kept for successful calls only; failures are counted by kind."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while (started := time.perf_counter()) < deadline:
            try:
                outcome = await call()
            except Exception as exc:  # noqa: BLE001 - a failed request is a data point, not a crash
                outcome = type(exc).__name__
            if outcome is None:
                latencies.append(time.perf_counter() - started)
            else:
                errors[outcome] += 1

    # thread_time is the event loop's own CPU: the in-process mail sink runs on another thread.
    loop_cpu, process_cpu, wall = time.thread_time(), time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(
        wall_seconds=time.perf_counter() - wall,
        latencies=latencies,
        errors=errors,
        loop_cpu_seconds=time.thread_time() - loop_cpu,
        process_cpu_seconds=time.process_time() - process_cpu,
    )
