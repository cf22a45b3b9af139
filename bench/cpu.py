"""CPU time of processes, read from /proc: shows which component a run was spending its cores on."""

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name may contain spaces; fields after it start at field 3 (state), so utime/stime are 11 and 12.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def pids_named(command: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


Snapshot = dict[str, dict[int, float]]
MACHINE = "machine (all processes)"


def machine_busy_seconds() -> float:
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def snapshot(groups: Mapping[str, Iterable[int]]) -> Snapshot:
    taken = {label: {pid: cpu_seconds(pid) for pid in pids} for label, pids in groups.items()}
    # The whole machine is not a process: it is kept under a pid no process has.
    taken[MACHINE] = {-1: machine_busy_seconds()}
    return taken


def cores_used(before: Snapshot, after: Snapshot, wall_seconds: float) -> dict[str, float]:
    """Per-pid differences, so processes started during the run (new database backends) count from zero."""
    used = {}
    for label, pids in after.items():
        earlier = before.get(label, {})
        spent = sum(seconds - earlier.get(pid, 0.0) for pid, seconds in pids.items())
        used[label] = round(spent / wall_seconds, 2)
    return used


def thread_cpu_seconds(native_id: int) -> float:
    """CPU time of one thread of this process (a thread's stat has a process's layout)."""
    try:
        stat = Path(f"/proc/self/task/{native_id}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def seconds_used(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds per label between two snapshots (per pid, as cores_used)."""
    return {
        label: round(sum(seconds - before.get(label, {}).get(pid, 0.0) for pid, seconds in pids.items()), 3)
        for label, pids in after.items()
    }
