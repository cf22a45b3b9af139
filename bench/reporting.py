"""Goals, report.json and report.md: every throughput figure sits next to its same-run baseline."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

Figures = dict[str, Any]


@dataclass(frozen=True)
class Goal:
    name: str
    target: str
    value: float | int | None
    passed: bool


def _at_least(name: str, value: float | None, floor: float) -> Goal:
    return Goal(name, f">= {floor:g}", value, value is not None and value >= floor)


def _below(name: str, value: float | None, ceiling: float) -> Goal:
    return Goal(name, f"< {ceiling:g}", value, value is not None and value < ceiling)


MEMORY_CEILING_MB = 150


def goals(figures: Figures) -> list[Goal]:
    booking, hop, checks = figures["booking"], figures["gateway_hop"], figures["integrity"]
    consistent = checks["appointments"] == checks["booked_seats"]
    largest = max(figures["memory"].items(), key=lambda item: item[1]["max_process_mb"])
    return [
        _at_least("booking rps", booking["rps"], 1000),
        _below("booking p99 ms", booking["p99_ms"], 100),
        _at_least("booking ratio (gateway / raw_db)", booking["ratio"], 0.25),
        _at_least("gateway_hop ratio (gateway / direct)", hop["ratio"], 0.40),
        _below("notification_latency p99 ms at 200/s", figures["notification_latency"]["p99_ms"], 500),
        Goal(
            "notification emails all received",
            "== 0 missing",
            figures["notification_latency"]["emails_missing_after_budget"],
            figures["notification_latency"]["emails_missing_after_budget"] == 0,
        ),
        _below("search p99 ms (20,000 establishments)", figures["search"]["p99_ms"], 50),
        _at_least("login ratio (logins/s / argon2_ceiling_per_s)", figures["login"]["ratio"], 0.8),
        _below(f"memory: largest process ({largest[0]}) MB", largest[1]["max_process_mb"], MEMORY_CEILING_MB),
        Goal("oversold slots", "== 0", checks["oversold_slots"], checks["oversold_slots"] == 0),
        Goal("count(appointments) == sum(booked)", "equal", checks["appointments"], consistent),
    ]


def ratio(value: float, baseline: float) -> float | None:
    return round(value / baseline, 3) if baseline > 0 else None


def _ms(summary: Figures) -> str:
    return " / ".join("–" if summary[k] is None else f"{summary[k]:.1f}" for k in ("p50_ms", "p95_ms", "p99_ms"))


def _seconds(value: float | None, budget: int) -> str:
    return f"{value:.1f} s" if value is not None else f"not within {budget} s"


def _figure_rows(f: Figures) -> list[tuple[str, str, str, str]]:
    raw, booking, hop = f["raw_db"], f["booking"], f["gateway_hop"]
    outbox, emails, checks = f["outbox_backlog"], f["emails"], f["integrity"]
    cores = ", ".join(f"{k} {v:.2f}" for k, v in booking["cpu_cores_during_run"].items())
    raw_cores = ", ".join(f"{k} {v:.2f}" for k, v in raw["cpu_cores_during_run"].items())
    return [
        ("raw_db_rps (asyncpg, same transaction)", f"{raw['rps']:.0f}/s", "–", "–"),
        ("booking rps via gateway", f"{booking['rps']:.0f}/s", f"raw_db {raw['rps']:.0f}/s", f"{booking['ratio']}"),
        ("booking p50 / p95 / p99", f"{_ms(booking)} ms", f"raw_db {_ms(raw)} ms", "–"),
        ("booking errors", f"{booking['errors']} of {booking['requests_ok'] + booking['errors']}",
         f"raw_db {raw['errors']}", "–"),
        ("load generator CPU", f"{booking['loadgen_cpu_cores']:.2f} core "
         f"({booking['loadgen_cpu_share_of_machine']:.0%} of machine)",
         f"raw_db {raw['loadgen_cpu_cores']:.2f} core ({raw['loadgen_cpu_share_of_machine']:.0%})", "–"),
        ("CPU cores used during booking", cores, f"raw_db: {raw_cores}", "–"),
        ("CPU ms per booking", ", ".join(f"{k} {v}" for k, v in booking["cpu_ms_per_booking"].items()), "–", "–"),
        (f"gateway_hop {hop['endpoint']}", f"{hop['gateway']['rps']:.0f}/s",
         f"direct {hop['direct']['rps']:.0f}/s", f"{hop['ratio']}"),
        ("gateway_hop p99", f"{hop['gateway']['p99_ms']} ms", f"direct {hop['direct']['p99_ms']} ms", "–"),
        ("oversold slots", str(checks["oversold_slots"]), "–", "–"),
        ("count(appointments) vs sum(booked)", f"{checks['appointments']} vs {checks['booked_seats']}", "–", "–"),
        ("outbox backlog: end → after drain", f"{outbox['at_end']} → {outbox['after_drain']}",
         _seconds(outbox["drain_seconds"], outbox["budget_seconds"]), "–"),
        ("emails: transmissions / unique vs bookings", f"{emails['transmissions']} / {emails['unique']}",
         f"{emails['bookings']} bookings, {_seconds(emails['drain_seconds'], emails['budget_seconds'])}",
         f"{ratio(emails['unique'], emails['bookings'])}"),
        _postgres_row(booking),
        ("end to end: bookings with their email sent, per s of run + drain",
         f"{emails.get('emailed_bookings_per_s', '–')}/s", f"booking rps {booking['rps']:.0f}/s", "–"),
        *_more_rows(f),
    ]  # fmt: skip


def _postgres_row(booking: Figures) -> tuple[str, str, str, str]:
    pg = booking["postgres_during_run"]
    return (
        "PostgreSQL during the booking run",
        f"{pg['wal_bytes_per_booking']} B of WAL per booking, {pg['checkpoints_started']} checkpoint(s) started",
        f"{pg['events_published_per_booking']} events published per booking (the rest wait in the outbox)",
        "–",
    )


def _more_rows(f: Figures) -> list[tuple[str, str, str, str]]:
    latency, search, login, booking = f["notification_latency"], f["search"], f["login"], f["booking"]
    memory = ", ".join(f"{name} {m['max_process_mb']:.0f}" for name, m in f["memory"].items())
    sweep = "; ".join(f"{s['offered_per_s']}→{s['achieved_per_s']:.0f}/s p99 {s['p99_ms']} ms" for s in f["sweep"])
    return [
        ("notification_latency: HTTP 201 → SMTP accepted, p50 / p99",
         f"{latency['p50_ms']} / {latency['p99_ms']} ms",
         f"{latency['bookings']} bookings offered at {latency['offered_rate_per_s']:.0f}/s, "
         f"{latency['emails_missing_after_budget']} emails missing", "–"),
        ("search p50 / p95 / p99 via gateway", f"{_ms(search)} ms",
         f"{search['rps']:.0f}/s, {search['mean_establishments_matched']} establishments matched on average", "–"),
        ("login rps via gateway (p99)", f"{login['rps']:.1f}/s ({login['p99_ms']} ms)",
         f"argon2_ceiling_per_s {login['argon2_ceiling_per_s']} ({login['argon2_threads']} threads)",
         f"{login['ratio']}"),
        ("memory after the run, MB (largest process)", memory, f"goal < {MEMORY_CEILING_MB} MB", "–"),
        ("load sweep: offered → answered, p99", sweep, "see sweep.png", "–"),
        ("load generator share of machine during booking", f"{booking['loadgen_cpu_share_of_machine']:.0%}",
         "–", "–"),
    ]  # fmt: skip


def markdown(figures: Figures) -> str:
    meta = figures["meta"]
    lines = [
        f"## Platform benchmark: booking {meta['seconds']} s at concurrency {meta['concurrency']}, "
        f"{meta['cpu_count']} CPUs, load average {meta['load_average_at_start']}",
        "",
        "Latency against offered load: ![sweep](sweep.png)",
        "",
        "| figure | value | baseline (same run) | ratio |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in _figure_rows(figures)),
        "",
        "| goal | target | value | result |",
        "|---|---|---|---|",
        *(
            f"| {g['name']} | {g['target']} | {g['value']} | {'PASS' if g['passed'] else 'FAIL'} |"
            for g in figures["goals"]
        ),
        "",
    ]
    return "\n".join(lines)


def write_reports(figures: Figures, directory: Path) -> str:
    figures["goals"] = [asdict(goal) for goal in goals(figures)]
    figures["passed"] = all(goal["passed"] for goal in figures["goals"])
    (directory / "report.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
    table = markdown(figures)
    (directory / "report.md").write_text(table)
    return table
