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


def _at_most(name: str, value: float | None, ceiling: float) -> Goal:
    return Goal(name, f"<= {ceiling:g}", value, value is not None and value <= ceiling)


MEMORY_CEILING_MB = 150
PIPELINE_TARGET_PER_S = 1000


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
        *pipeline_goals(figures["pipeline"]),
        *overload_goals(figures["overload"]),
    ]


def _step_at(steps: list[Figures], key: str, value: float) -> Figures | None:
    return next((step for step in steps if step[key] == value), None)


def pipeline_goals(pipeline: Figures) -> list[Goal]:
    """At 1,000/s offered (open loop): answered and p99; the highest rate that kept pace; CPU per confirmation."""
    steps = pipeline["steps"]
    target = _step_at(steps, "offered_per_s", PIPELINE_TARGET_PER_S) or {}
    highest = max(steps, key=lambda step: step["offered_per_s"]) if steps else {}
    duplicates = sum(step["confirmations"]["duplicates"] for step in steps)
    return [
        _at_least(f"pipeline: answered/s at {PIPELINE_TARGET_PER_S}/s offered", target.get("answered_per_s"), 990),
        _below(f"pipeline: booking p99 ms at {PIPELINE_TARGET_PER_S}/s offered", target.get("p99_ms"), 100),
        _at_least("pipeline capacity: highest offered rate that kept pace, /s", pipeline["capacity_per_s"], 700),
        _at_most(
            f"pipeline: platform CPU ms per confirmed booking at {highest.get('offered_per_s', 0):.0f}/s",
            highest.get("cpu_ms_per_confirmed_booking", {}).get("platform"),
            2.0,
        ),
        Goal("pipeline: duplicate confirmations", "== 0", duplicates, duplicates == 0),
    ]


def overload_goals(overload: Figures) -> list[Goal]:
    """At 3× the capacity: the waiting room answers everyone fast and lets the capacity through, in order."""
    rush = _step_at(overload["steps"], "factor", 3.0) or {}
    capacity = overload["capacity_per_s"]
    booked_share = ratio(rush.get("achieved_per_s", 0.0), capacity)
    timeouts = rush.get("timeouts")
    return [
        _below("rush 3×: admitted p99 ms", rush.get("p99_ms"), 200),
        _below("rush 3×: waiting-room answers p99 ms", rush.get("refusal_p99_ms"), 20),
        Goal("rush 3×: timeouts", "== 0", timeouts, timeouts == 0),
        _at_least("rush 3×: booked/s over capacity", booked_share, 0.9),
        _at_most("rush 3×: FIFO worst inversion s (room)", rush.get("fifo", {}).get("room_worst_s"), 1.0),
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
        *pipeline_rows(f["pipeline"], f.get("floor")),
        *overload_rows(f["overload"]),
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
        ("load generator share of machine during booking", f"{booking['loadgen_cpu_share_of_machine']:.0%}",
         "–", "–"),
    ]  # fmt: skip


def pipeline_rows(pipeline: Figures, floor: Figures | None = None) -> list[tuple[str, str, str, str]]:
    """`floor`: bench/floor.py's figures, the baseline of the CPU per confirmed booking."""
    floor_ms: float | None = floor["floor_total_ms"] if floor else None
    rows = []
    if floor and floor_ms:
        rows.append(
            (
                f"floor (an estimate): platform CPU ms per confirmed booking, each hop alone at {floor['rate']:.0f}/s",
                f"{floor_ms}",
                ", ".join(f"{k} {v:.3f}" for k, v in floor["floor_ms"].items()),
                f"{ratio(floor_ms, floor['goal_ms'])} of the {floor['goal_ms']} ms goal",
            )
        )
    for step in pipeline["steps"]:
        rate, c, pace = f"{step['offered_per_s']:.0f}/s", step["confirmations"], step["pace"]
        per = step["cpu_ms_per_confirmed_booking"]
        platform = {k: v for k, v in per.items() if k not in ("mail sink", "load generator", "platform")}
        rows += [
            (
                f"pipeline {rate} offered, {step['seconds']:.0f} s: answered/s, p50 / p99 ms (from due)",
                f"{step['answered_per_s']}/s, {step['p50_ms']} / {step['p99_ms']} ms",
                f"errors {step['error_kinds'] or 0}; waiting room {step.get('waiting_room') or 0}",
                "–",
            ),
            (
                f"pipeline {rate}: confirmations (during run + drain), confirmed/s during run",
                f"{c['received']} ({c['received_during_run']} + {c['received_in_drain']} "
                f"in {step['drain_seconds']} s), "
                f"{c['confirmed_per_s_during_run']}/s",
                f"{c['missing_after_drain']} missing, {c['duplicates']} duplicates",
                "–",
            ),
            (
                f"pipeline {rate}: booking → SMTP accepted p50 / p99 / max",
                f"{c['latency_p50_ms']} / {c['latency_p99_ms']} / {c['latency_max_ms']} ms",
                f"kept pace: {pace['kept_pace']} (outbox oldest max {pace['outbox_oldest_max_s']} s, queue mid → end "
                f"{pace['queue_depth_mid']} → {pace['queue_depth_end']})",
                "–",
            ),
            (
                f"pipeline {rate}: CPU ms per confirmed booking (run + drain)",
                f"platform {per.get('platform')}: " + ", ".join(f"{k} {v}" for k, v in platform.items()),
                f"apart: mail sink {per.get('mail sink')}, load generator {per.get('load generator')} "
                f"({step['loadgen_ms_per_request']} ms per request)",
                f"{ratio(per['platform'], floor_ms)} of the floor" if floor_ms and per.get("platform") else "–",
            ),
        ]
    rows.append(
        (
            "pipeline capacity (highest offered rate that kept pace)",
            f"{pipeline['capacity_per_s']}/s",
            f"target {pipeline['target_per_s']}/s",
            "–",
        )
    )
    return rows


def overload_rows(overload: Figures) -> list[tuple[str, str, str, str]]:
    rows = []
    for step in overload["steps"]:
        fifo = step["fifo"]
        rows.append((
            f"rush {step['factor']}× ({step['offered_per_s']}/s offered, {step['seconds']:.0f} s): booked/s, "
            "admitted p99; refused, p50 / p99 / max",
            f"{step['achieved_per_s']}/s, {step['p99_ms']} ms; {step['refused']} {step['refused_by_status']}, "
            f"{step['refusal_p50_ms']} / {step['refusal_p99_ms']} / {step['refusal_max_ms']} ms",
            f"timeouts {step['timeouts']}, errors {step['errors'] or 0}, still waiting {step['still_waiting_at_end']}, "
            f"gave up {step['gave_up']}, FIFO room {fifo['room_worst_s']} to {fifo.get('room_worst_upper_s')} s, "
            f"observed {fifo['observed_worst_s']} s",
            f"{ratio(step['achieved_per_s'], overload['capacity_per_s'])}",
        ))  # fmt: skip
    return rows


def markdown(figures: Figures) -> str:
    meta = figures["meta"]
    lines = [
        f"## Platform benchmark: booking {meta['seconds']} s at concurrency {meta['concurrency']}, "
        f"{meta['cpu_count']} CPUs, load average {meta['load_average_at_start']}",
        "",
        "A rush against the waiting room: ![sweep](sweep.png) The pipeline's depths over time: "
        "![pipeline](pipeline.png)",
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
