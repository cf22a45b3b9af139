"""The benchmark's own parts: open-loop pacing, percentiles and the sweep plot (fast, no servers)."""

import asyncio
import time
from pathlib import Path

from bench.loadgen import percentile_ms
from bench.openloop import open_loop
from bench.plot import plot_sweep


def test_percentiles_are_nearest_rank_in_milliseconds() -> None:
    samples = [n / 1000 for n in range(1, 101)]  # 1 ms .. 100 ms
    assert percentile_ms(samples, 0.50) == 50.0
    assert percentile_ms(samples, 0.99) == 99.0
    assert percentile_ms([], 0.99) is None


async def test_the_open_loop_offers_its_rate_and_counts_latency_from_the_due_time() -> None:
    answered: list[float] = []

    async def slow_call() -> str | None:
        await asyncio.sleep(0.02)
        return None

    started = time.time()
    result, skipped = await open_loop(slow_call, rate=200, seconds=0.5, max_in_flight=64, on_success=answered.append)

    assert skipped == 0
    assert result.ok == 100  # 200/s for 0.5 s, whatever each call takes
    assert len(answered) == 100
    assert all(t >= started for t in answered)
    assert 20.0 <= result.percentile_ms(0.5) < 200.0


async def test_requests_beyond_the_in_flight_cap_are_skipped_and_counted() -> None:
    async def stuck() -> str | None:
        await asyncio.sleep(0.3)
        return None

    result, skipped = await open_loop(stuck, rate=100, seconds=0.2, max_in_flight=5)
    assert result.ok == 5
    assert skipped == 15
    assert result.errors["skipped (too many in flight)"] == 15


def test_the_sweep_is_drawn_to_a_png(tmp_path: Path) -> None:
    steps = [
        {"offered_per_s": rate, "achieved_per_s": min(rate, 300), "p50_ms": 5.0, "p95_ms": 9.0, "p99_ms": p99}
        for rate, p99 in ((100, 12.0), (500, 80.0), (1000, None))
    ]
    path = tmp_path / "sweep.png"
    plot_sweep(steps, path, "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
