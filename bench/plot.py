"""The load sweep as a PNG: latency percentiles and achieved throughput against offered load."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot
import matplotlib.pyplot as plt


def plot_sweep(steps: list[dict[str, Any]], path: Path, title: str) -> None:
    offered = [s["offered_per_s"] for s in steps]
    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4.5))
    for key, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
        latency.plot(offered, [float("nan") if s[key] is None else s[key] for s in steps], marker="o", label=label)
    latency.axhline(100, color="grey", linestyle="--", linewidth=1, label="p99 goal 100 ms")
    latency.set(xlabel="offered bookings/s", ylabel="latency (ms, log)", yscale="log", title="Latency")
    latency.legend()
    throughput.plot(offered, offered, color="grey", linestyle="--", linewidth=1, label="offered")
    throughput.plot(offered, [s["achieved_per_s"] for s in steps], marker="o", label="answered 201")
    throughput.set(xlabel="offered bookings/s", ylabel="bookings/s", title="Throughput")
    throughput.legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
