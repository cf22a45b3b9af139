"""`make verify`'s security check: the platform probed as an attacker would, one probe per family of attack.

Each probe module exposes `probe(env) -> dict` whose "passed" is False when any attack succeeded, and which
lists what it tried and what got through. A probe that crashes has failed; the others still run.
"""

import time
import traceback
from collections.abc import Callable
from typing import Any

from bench.verify.environment import VerifyEnvironment
from bench.verify.security import (
    clerk_scope,
    client_address,
    codes_and_messages,
    forged_identity,
    forgery,
    guessing,
    hostile_input,
    manage_links,
    refresh_race,
    refusal_headers,
    sessions,
    traversal,
)

Probe = Callable[[VerifyEnvironment], dict[str, Any]]

# In the order they run: probes that lock accounts or fill rate limits act on people of their own.
PROBES: dict[str, Probe] = {
    "traversal": traversal.probe,
    "forgery": forgery.probe,
    "refusal_headers": refusal_headers.probe,
    "forged_identity": forged_identity.probe,
    "clerk_scope": clerk_scope.probe,
    "sessions": sessions.probe,
    "refresh_race": refresh_race.probe,
    "codes_and_messages": codes_and_messages.probe,
    "guessing": guessing.probe,
    "client_address": client_address.probe,
    "manage_links": manage_links.probe,
    "hostile_input": hostile_input.probe,  # last: it scans the logs of everything before it
}


def check_security(env: VerifyEnvironment, only: list[str] | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, probe in PROBES.items():
        if only and name not in only:
            continue
        began = time.monotonic()
        try:
            results[name] = probe(env)
        except Exception as exc:  # noqa: BLE001 - a probe that crashes has failed; the others still run
            results[name] = {"passed": False, "error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
        results[name]["seconds"] = round(time.monotonic() - began, 1)
    return {
        "passed": bool(results) and all(result["passed"] for result in results.values()),
        "failed_probes": sorted(name for name, result in results.items() if not result["passed"]),
        "probes": results,
    }
