"""Resident memory of each service, read from /proc: the process and, with several workers, its children."""

from pathlib import Path


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def service_rss_mb(pids: dict[str, int]) -> dict[str, dict[str, float]]:
    """Per service: the largest single process (what a per-process limit would see) and the sum."""
    report = {}
    for name, pid in pids.items():
        sizes = [rss_mb(p) for p in (pid, *children(pid))]
        report[name] = {"max_process_mb": round(max(sizes), 1), "total_mb": round(sum(sizes), 1)}
    return report
