"""The load sweep as a PNG: latency percentiles and achieved throughput against offered load."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot
import matplotlib.pyplot as plt


def plot_sweep(
    steps: list[dict[str, Any]], path: Path, title: str, p99_goal_ms: float = 200, achieved: str = "booked (201)"
) -> None:
    """Latency of the requests that booked, and bookings/s, against offered bookings/s."""
    offered = [s["offered_per_s"] for s in steps]
    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4.5))
    for key, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
        latency.plot(offered, [float("nan") if s[key] is None else s[key] for s in steps], marker="o", label=label)
    latency.axhline(p99_goal_ms, color="grey", linestyle="--", linewidth=1, label=f"p99 goal {p99_goal_ms:g} ms")
    latency.set(xlabel="offered bookings/s", ylabel="latency (ms, log)", yscale="log", title="Latency")
    latency.legend()
    throughput.plot(offered, offered, color="grey", linestyle="--", linewidth=1, label="offered")
    throughput.plot(offered, [s["achieved_per_s"] for s in steps], marker="o", label=achieved)
    throughput.set(xlabel="offered bookings/s", ylabel="bookings/s", title="Throughput")
    throughput.legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


PIPELINE_PANELS = (
    ("outbox_unpublished", "appointments outbox: unpublished events"),
    ("outbox_oldest_s", "outbox: oldest unpublished event (s)"),
    ("queue_depth", "notifications queue: messages ready"),
    ("deliveries_pending", "notifications: deliveries pending"),
)


def plot_pipeline(steps: list[dict[str, Any]], path: Path, title: str) -> None:
    """Depths over run and drain, one line per offered rate; the dotted line is the end of the bookings."""
    figure, axes = plt.subplots(2, 2, figsize=(12, 8))
    for axis, (key, label) in zip(axes.flat, PIPELINE_PANELS, strict=True):
        for step in steps:
            series = step["series"]
            values = [float("nan") if s[key] is None else s[key] for s in series]
            axis.plot([s["t"] for s in series], values, label=f"{step['offered_per_s']:.0f}/s offered")
        if steps:
            axis.axvline(steps[0]["seconds"], color="grey", linestyle=":", linewidth=1)
        axis.set(xlabel="seconds since the bookings started", title=label)
        axis.legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
