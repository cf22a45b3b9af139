"""The verify tool's own parts that need no stack: they must see what they are there to see."""

import json
from pathlib import Path

from bench.verify.fuzz import compose_openapi, read_ndjson
from bench.verify.privacy import scan_logs


def test_the_log_scan_finds_each_kind_of_leak_and_never_reports_the_value(tmp_path: Path):
    (tmp_path / "accounts.log").write_text(
        '{"event": "ok", "port": 8001, "took_ms": 12}\n'
        '{"event": "registered", "nam": "TEST54122816"}\n'
        '{"event": "mail", "to": "marie.t@example.org"}\n'
        '{"event": "sms", "to": "+15145550123"}\n'
        '{"event": "sms", "to": "514 555-0123"}\n'
        '{"event": "verify", "code": "493817"}\n'
        '{"event": "login", "password": "un matin de givre"}\n'
    )
    leaks = scan_logs(tmp_path, {"un matin de givre"}, {"493817"})
    kinds = [leak.split()[1] for leak in leaks]
    assert sorted(kinds) == ["code", "email", "nam", "phone", "phone", "secret"]
    assert not any("TEST54122816" in leak or "493817" in leak for leak in leaks)
    assert all(leak.startswith("accounts.log:") for leak in leaks)


def test_a_log_lines_own_timestamp_is_not_mistaken_for_a_code(tmp_path: Path):
    (tmp_path / "notifications.log").write_text(
        '{"event": "event_applied", "timestamp": "2026-11-24T02:37:41.804552Z"}\n'
        '{"event": "leak", "timestamp": "2026-11-24T02:37:41.000001Z", "code": "804552"}\n'
    )
    leaks = scan_logs(tmp_path, {"804552"}, {"804552"})
    assert leaks == ["notifications.log:2 code ***"]


def test_six_digits_inside_an_id_or_a_number_are_not_mistaken_for_a_code(tmp_path: Path):
    (tmp_path / "notifications.log").write_text(
        '{"event": "delivery_handled", "delivery_id": "01a20d47-0790-76d0-b5bb-586875ff982f"}\n'
        '{"event": "sent", "id": "ab586875", "took": 0.586875}\n'
        '{"event": "leak", "body": "Votre code : 586875"}\n'
        '{"event": "leak", "code=586875"}\n'
    )
    leaks = scan_logs(tmp_path, set(), {"586875"})
    assert leaks == ["notifications.log:3 code ***", "notifications.log:4 code ***"]


def test_a_code_among_the_secrets_is_found_standing_alone_not_inside_an_id(tmp_path: Path):
    (tmp_path / "verification.log").write_text(
        '{"event": "event_applied", "event_id": "5f3a9c21-7e44-4b0e-9d1a-03c2e8493817"}\n'
        '{"event": "leak", "typed": "493817"}\n'
    )
    assert scan_logs(tmp_path, {"493817", "un matin de givre"}, set()) == ["verification.log:2 code ***"]


def test_a_clean_log_has_no_leak(tmp_path: Path):
    (tmp_path / "gateway.log").write_text('{"event": "request", "status": 201, "duration_ms": 4.2, "pid": 123456}\n')
    assert scan_logs(tmp_path, {"secret-token"}, {"654321"}) == []


def test_the_composed_document_uses_the_gateways_public_paths_and_only_routed_methods():
    refusal = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    operation = {"responses": {"200": {"description": "ok"}, "422": {"description": "bad", **refusal}}}
    appointments = {
        "components": {"schemas": {"ErrorBody": {"type": "object"}}},
        "paths": {
            "/my/appointments/{appointment_id}/cancel": {"post": operation},
            "/slots": {"get": operation, "post": operation},
            "/admin/establishments/{establishment_id}/services": {
                "get": {**operation, "parameters": [{"name": "establishment_id", "in": "path", "required": True}]}
            },
            "/internal/thing": {"get": operation},
        },
    }
    composed = compose_openapi({"appointments": appointments}, "e-1")
    assert set(composed["paths"]) == {
        "/api/my/appointments/{appointment_id}/cancel",
        "/api/slots",
        "/api/admin/establishments/{establishment_id}/services",
    }
    assert set(composed["paths"]["/api/slots"]) == {"get"}  # the gateway routes only GET to /slots
    admin = composed["paths"]["/api/admin/establishments/{establishment_id}/services"]["get"]
    assert admin["parameters"][0]["schema"]["enum"] == ["e-1"]
    # The service's own refusal schema, under its service's name (component names collide across services).
    refused = composed["paths"]["/api/slots"]["get"]["responses"]["422"]
    assert refused["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/appointments__ErrorBody"}
    assert "appointments__ErrorBody" in composed["components"]["schemas"]


def test_the_fuzz_report_reader_counts_cases_and_finds_a_server_error(tmp_path: Path):
    failing = {"name": "not_a_server_error", "status": "failure", "failure_info": {"title": "Server error"}}
    passing = {"name": "response_schema_conformance", "status": "success"}
    events = [
        {"ScenarioStarted": {"label": "GET /api/me"}},
        {"ScenarioFinished": {"recorder": {"label": "GET /api/me"}}},
        {"ScenarioFinished": {"recorder": {
            "label": "POST /api/me/delete", "cases": {"a": {}, "b": {}}, "checks": {"a": [passing], "b": [failing]}}}},
    ]  # fmt: skip
    report = tmp_path / "run.ndjson"
    report.write_text("\n".join(json.dumps(event) for event in events) + "\n")
    counted = read_ndjson(report)
    assert counted["cases"] == 2
    assert counted["operations"] == ["GET /api/me", "POST /api/me/delete"]
    assert len(counted["failures"]["not_a_server_error"]) == 1
    assert counted["failures"]["response_schema_conformance"] == []
