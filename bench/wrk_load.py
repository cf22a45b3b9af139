"""Runs wrk (C, one thread) as the closed-loop load generator of the booking benchmark.

The asyncio client spent about 0.3 ms of CPU per booking, CPU the services under test then lacked on
this 2-core machine; wrk spends a fraction of that. Its own CPU time is reported like the asyncio one's.
"""

import os
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from bench.loadgen import CPU_COUNT

SCRIPT = Path(__file__).resolve().parent / "wrk_booking.lua"
RESULT_MARK = "WRK_RESULT "


class WrkMissingError(RuntimeError):
    pass


def wrk_bookings(
    url: str,
    slots: Sequence[uuid.UUID],
    patient: dict[str, str],
    email_prefix: str,
    concurrency: int,
    seconds: float,
    expected_status: int = 201,
) -> dict[str, Any]:
    """Books for `seconds` with `concurrency` connections; the summary has LoadResult.summary()'s keys."""
    with tempfile.NamedTemporaryFile("w", suffix=".slots") as slot_file:
        slot_file.write("\n".join(str(slot) for slot in slots))
        slot_file.flush()
        env = {
            **os.environ,
            "BENCH_SLOTS_FILE": slot_file.name,
            "BENCH_PATIENT": orjson.dumps(patient).decode()[1:-1],
            "BENCH_EMAIL_PREFIX": email_prefix,
            "BENCH_EXPECTED_STATUS": str(expected_status),
        }
        command = [
            "wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
            "-s", str(SCRIPT), url,
        ]  # fmt: skip
        try:
            process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except FileNotFoundError:
            raise WrkMissingError("wrk is not installed: run `bash scripts/ensure-wrk.sh` (Debian's wrk)") from None
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    lines = [line for line in out.splitlines() if line.startswith(RESULT_MARK)]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({process.returncode}): {err.strip() or out.strip()}")
    return summary_of(orjson.loads(lines[-1][len(RESULT_MARK) :]), usage.ru_utime + usage.ru_stime)


def summary_of(result: dict[str, Any], cpu_seconds: float) -> dict[str, Any]:
    wall = result["duration_us"] / 1e6
    unexpected = sum(result["statuses"].values())
    failed = unexpected + result["socket_errors"] + result["timeouts"]
    ok = result["requests"] - unexpected
    kinds = dict(result["statuses"])
    if result["socket_errors"]:
        kinds["socket errors"] = result["socket_errors"]
    if result["timeouts"]:
        kinds["timeouts"] = result["timeouts"]
    return {
        "seconds": round(wall, 2),
        "requests_ok": ok,
        "errors": failed,
        "error_kinds": kinds,
        "rps": round(ok / wall, 1) if wall else 0.0,
        # wrk's percentiles are over every answered request (its HdrHistogram), in microseconds.
        "p50_ms": round(result["p50_us"] / 1000, 2),
        "p95_ms": round(result["p95_us"] / 1000, 2),
        "p99_ms": round(result["p99_us"] / 1000, 2),
        "max_ms": round(result["max_us"] / 1000, 2),
        "loadgen": "wrk -t1",
        "loadgen_cpu_cores": round(cpu_seconds / wall, 3) if wall else None,
        "loadgen_cpu_share_of_machine": round(cpu_seconds / wall / CPU_COUNT, 3) if wall else None,
    }
