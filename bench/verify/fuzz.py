"""API fuzzing with schemathesis against the gateway, authenticated as a real citizen and a real clerk.

The document fuzzed is the gateway's (devstack/openapi.py: composed from the services' documents and the
gateway's routing table, as docs/openapi.json publishes it), from the running services.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from bench.verify.environment import VerifyEnvironment
from devstack.openapi import compose

AUDIENCE_PATHS = {
    "citizen": r"^/api/(me|my)(/|$)",
    "staff": r"^/api/admin/(?!verification/operator-audit)",
    "operator": r"^/api/(operator/|admin/verification/operator-audit)",
    "public": r"^/api/(?!me(/|$)|my/|admin/|operator/)",
}
RUN_TIMEOUT = 240.0


def compose_openapi(services: dict[str, dict[str, Any]], own_establishment: str) -> dict[str, Any]:
    """The gateway's document (devstack/openapi.py, as docs/openapi.json publishes it), with every staff path's
    establishment pinned to the signed-in staff member's own, so the fuzzing reaches past the guard."""
    document = compose(services)
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"] == "establishment_id":
                    parameter["schema"] = {"type": "string", "enum": [own_establishment]}
    return document


def _st_run(
    spec: Path, base_url: str, audience: str, headers: dict[str, str], max_examples: int, report: Path
) -> dict[str, Any]:
    command = [
        str(Path(sys.executable).with_name("st")), "run", str(spec), "--url", base_url,
        "--include-path-regex", AUDIENCE_PATHS[audience],
        "--checks", "not_a_server_error,response_schema_conformance",
        "--phases", "examples,coverage,fuzzing", "--max-examples", str(max_examples),
        "--workers", "1", "--request-timeout", "10", "--rate-limit", "200/s", "--seed", "20261123",
        "--no-shrink", "--report", "ndjson", "--report-ndjson-path", str(report),
        "--suppress-health-check", "all", "--warnings", "off",
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    return {"exit_code": completed.returncode, "output_tail": completed.stdout[-3000:] + completed.stderr[-2000:]}


def read_ndjson(report: Path) -> dict[str, Any]:
    """Counts cases, failures per check and engine errors from schemathesis' event stream."""
    cases, operations, errors = 0, set(), []
    failures: dict[str, list[str]] = {"not_a_server_error": [], "response_schema_conformance": []}
    for line in report.read_text().splitlines():
        event = json.loads(line)
        if "NonFatalError" in event:
            errors.append(str(event["NonFatalError"].get("value", event["NonFatalError"]))[:400])
        scenario = event.get("ScenarioFinished")
        if not scenario:
            continue
        recorder = scenario.get("recorder", {})
        label = recorder.get("label", "")
        operations.add(label)
        cases += len(recorder.get("cases", {}))
        for case_checks in recorder.get("checks", {}).values():
            for check in case_checks:
                if str(check.get("status", "")).lower() == "failure":
                    detail = f"{label}: {str(check.get('failure_info'))[:600]}"
                    failures.setdefault(check.get("name", "?"), []).append(detail)
    return {"cases": cases, "operations": sorted(operations), "failures": failures, "errors": errors}


def check_fuzz(env: VerifyEnvironment, max_examples: int = 25) -> dict[str, Any]:
    citizen = env.new_citizen()
    clinic = env.clinics[0]
    clerk = env.staff_headers(clinic.manager_email)
    documents = {name: httpx.get(f"{env.stack.config.url(name)}/openapi.json", timeout=10).json()
                 for name in ("accounts", "appointments", "verification")}  # fmt: skip
    composed = compose_openapi(documents, str(clinic.catalogue.establishment_id))
    results: dict[str, Any] = {}
    scratch = env.log_dir / "fuzz"  # kept beside the logs: the reports hold the failing cases
    scratch.mkdir(parents=True, exist_ok=True)
    spec = scratch / "gateway-openapi.json"
    spec.write_text(json.dumps(composed))
    runs = (("public", {}), ("citizen", citizen.headers), ("staff", clerk), ("operator", env.operator_headers()))
    for audience, headers in runs:
        report = scratch / f"{audience}.ndjson"
        run = _st_run(spec, env.gateway, audience, headers, max_examples, report)
        results[audience] = {**read_ndjson(report), "exit_code": run["exit_code"]}
        if run["exit_code"] != 0 or not results[audience]["cases"]:
            results[audience]["output_tail"] = run["output_tail"]
    # The manager's and the operator's runs act on the staff they find listed (disable, role, factor reset), as
    # they may: the checks after this one sign those staff in again.
    env.restore_clinic_staff()
    server_errors = [f for r in results.values() for f in r["failures"]["not_a_server_error"]]
    violations = [f for r in results.values() for f in r["failures"]["response_schema_conformance"]]
    cases = sum(r["cases"] for r in results.values())
    return {
        "operations": sum(len(r["operations"]) for r in results.values()),
        "cases": cases,
        "server_errors": len(server_errors),
        "schema_violations": len(violations),
        "engine_errors": sum(len(r["errors"]) for r in results.values()),
        "server_error_samples": server_errors[:10],
        "schema_violation_samples": violations[:10],
        "runs": {a: {k: v for k, v in r.items() if k != "failures"} for a, r in results.items()},
        "reports": str(scratch),
        "passed": cases > 0 and not server_errors and not violations,
    }
