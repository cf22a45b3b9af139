"""`make verify`: runs the checks against one private stack, writes bench/verify.json, exits 1 on any failure.

python -m bench.verify [--only chaos,fuzz,...] [--chaos-seconds 60] [--fuzz-examples 25] [--output path]
"""

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.verify.authz import check_authz
from bench.verify.chaos import check_chaos
from bench.verify.codes import check_codes
from bench.verify.environment import VerifyEnvironment
from bench.verify.fuzz import check_fuzz
from bench.verify.privacy import check_privacy
from bench.verify.security import check_security
from devstack.supervisor import ROOT

# security after the others: its guessing fills login limits; privacy last: it scans the logs of all the others.
CHECKS = ("authz", "codes", "fuzz", "chaos", "security", "privacy")


def run_checks(env: VerifyEnvironment, only: list[str], chaos_seconds: float, fuzz_examples: int) -> dict[str, Any]:
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "authz": lambda: check_authz(env),
        "codes": lambda: check_codes(env),
        "fuzz": lambda: check_fuzz(env, max_examples=fuzz_examples),
        "chaos": lambda: check_chaos(env, seconds=chaos_seconds),
        "security": lambda: check_security(env),
        "privacy": lambda: check_privacy(env),
    }
    results: dict[str, Any] = {}
    for name in CHECKS:
        if name not in only:
            continue
        began = time.monotonic()
        try:
            results[name] = runners[name]()
        except Exception as exc:  # noqa: BLE001 - a check that crashes has failed; the others still run
            results[name] = {"passed": False, "error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
        results[name]["seconds"] = round(time.monotonic() - began, 1)
        print(f"{name}: {'PASS' if results[name]['passed'] else 'FAIL'} ({results[name]['seconds']} s)", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=",".join(CHECKS), help="comma-separated subset of " + ", ".join(CHECKS))
    parser.add_argument("--chaos-seconds", type=float, default=60.0)
    parser.add_argument("--fuzz-examples", type=int, default=25)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "verify.json")
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(only) - set(CHECKS)
    if unknown:
        parser.error(f"unknown checks: {sorted(unknown)}")
    began = time.monotonic()
    with VerifyEnvironment() as env:
        results = run_checks(env, only, args.chaos_seconds, args.fuzz_examples)
        log_dir = str(env.log_dir)
    report = {
        "passed": all(result["passed"] for result in results.values()),
        "seconds": round(time.monotonic() - began, 1),
        "target": "127.0.0.1 only (private stack on free ports, private RabbitMQ node)",
        "logs": log_dir,
        "checks": results,
    }
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.output}: {'all checks passed' if report['passed'] else 'FAILED'} in {report['seconds']} s")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
