"""Profiles the booking hot path: py-spy samples each service while bookings run through the gateway.

python -m bench.profile [--seconds 15] [--concurrency 32] [--services appointments gateway notifications]

Writes one collapsed-stack file per service to bench/.profiles/ (open in speedscope or flamegraph.pl)
and prints the functions with the most samples, by own time and including callees.
"""

import argparse
import subprocess
import sys
from collections import Counter
from pathlib import Path

import uvloop

from bench.booking import booking_run
from bench.catalogue import insert_catalogue
from bench.stack import CAPACITY, NAMESPACE, SLOTS_PER_SET, prepare_all, server_urls, stack_config, start_stack
from devstack.databases import SERVICES
from devstack.mail_sink import MailSink
from devstack.testing.fixtures import delete_topology, free_port
from shared.db import asyncpg_dsn

PROFILE_DIR = Path(__file__).resolve().parent / ".profiles"
PY_SPY = Path(sys.executable).parent / "py-spy"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--services", nargs="+", default=["appointments", "gateway", "notifications"])
    parser.add_argument("--top", type=int, default=25)
    return parser.parse_args(argv)


def top_functions(collapsed: Path, count: int) -> tuple[list[tuple[str, int]], list[tuple[str, int]], int]:
    """(own samples, inclusive samples, total samples) per function, from py-spy's raw format."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = stack.split(";")
        n = int(samples)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    return own.most_common(count), inclusive.most_common(count), total


def spy(pid: int, seconds: float, name: str) -> subprocess.Popen[bytes]:
    command = [
        str(PY_SPY), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
        "--format", "raw", "--nonblocking", "--output", str(PROFILE_DIR / f"{name}.txt"),
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pg_url, amqp_url = server_urls()
    database_urls, gateway_database_url = prepare_all(pg_url)
    uvloop.run(delete_topology(amqp_url, NAMESPACE, list(SERVICES)))
    catalogue = uvloop.run(insert_catalogue(asyncpg_dsn(database_urls["appointments"]), SLOTS_PER_SET, CAPACITY))
    PROFILE_DIR.mkdir(exist_ok=True)
    sink = MailSink(port=free_port()).start()
    supervisor = start_stack(stack_config(database_urls, amqp_url, sink.port, gateway_database_url))
    try:
        spies = {name: spy(supervisor.processes[name].pid, args.seconds, name) for name in args.services}
        summary = uvloop.run(booking_run(supervisor, catalogue, args.concurrency, args.seconds))
        for recorder in spies.values():
            recorder.wait(30)
    finally:
        supervisor.stop_all()
        sink.stop()
        uvloop.run(delete_topology(amqp_url, NAMESPACE, list(SERVICES)))
    print(f"bookings {summary['rps']}/s p50 {summary['p50_ms']} ms p99 {summary['p99_ms']} ms "
          f"errors {summary['errors']} {summary.get('error_kinds')}")  # fmt: skip
    print("cores:", summary["cpu_cores_during_run"])
    print("CPU ms per booking:", summary["cpu_ms_per_booking"])
    for name in args.services:
        path = PROFILE_DIR / f"{name}.txt"
        if not path.exists():
            print(f"\n{name}: no profile (py-spy needs ptrace permission)")
            continue
        own, inclusive, total = top_functions(path, args.top)
        print(f"\n=== {name}: {total} samples; own time ===")
        for frame, n in own:
            print(f"{n / total:6.1%}  {frame[:150]}")
        print(f"--- {name}: including callees ---")
        for frame, n in inclusive:
            print(f"{n / total:6.1%}  {frame[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
