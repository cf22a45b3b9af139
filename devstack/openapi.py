"""The gateway's OpenAPI document: the public JSON API as clients see it, written to docs/openapi.json.

The gateway proxies /api/* and serves no documentation of its own (its origin is the portal's). Its document is
composed from the services' own documents and the gateway's routing table (gateway/routes.py): every upstream
operation the gateway exposes, under its public path, tagged with who may call it (public, citizen, staff,
operator) and with the bearer scheme where a token is needed. The verify tool's fuzz check runs on the same
composition (bench/verify/fuzz.py).

    python -m devstack.openapi          # rewrites docs/openapi.json
    python -m devstack.openapi --check  # fails when docs/openapi.json is not what the code describes
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from devstack.jwt_keys import generate_es256_keypair
from gateway.api import BookForPersonBody, JoinWaitlistForPersonBody
from gateway.routes import ROUTES, Route, resolve
from gateway.waiting_room.gate import guarded
from gateway.waiting_room.schemas import WaitingRoomAnswer, WaitingRoomFull

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")
# Paths whose operations only a platform operator may call, though the gateway routes them to any staff token
# (the services check the role).
OPERATOR_PREFIXES = ("/api/operator/", "/api/admin/verification/operator-audit")
TAGS = [
    {"name": "public", "description": "Sans connexion / No sign-in"},
    {"name": "citizen", "description": "Citoyen connecté / Signed-in citizen (bearer token)"},
    {"name": "staff", "description": "Personnel d'un établissement / Clinic staff (bearer token, second factor)"},
    {"name": "operator", "description": "Opérateur de la plateforme / Platform operator (bearer token)"},
]


def _route_of(service: str, upstream: str, method: str) -> tuple[Route, str] | None:
    for route in ROUTES:
        if route.service != service or method.upper() not in route.methods:
            continue
        prefix = route.upstream_prefix
        if upstream == prefix or upstream.startswith(prefix + "/") or upstream.startswith(prefix + "."):
            public = route.public_prefix + upstream[len(prefix) :]
            # Only what the gateway really sends to this operation: an earlier route may shadow it.
            if resolve(public, method.upper()) == (route, upstream):
                return route, public
    return None


def _namespaced(document: dict[str, Any], service: str) -> dict[str, Any]:
    """Component names collide across services (two ChallengeResponse): prefix them with the service."""
    text = json.dumps(document).replace("#/components/schemas/", f"#/components/schemas/{service}__")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _audience(route: Route, public: str) -> str:
    if public.startswith(OPERATOR_PREFIXES):
        return "operator"
    # not_staff: open to anyone but a staff token (registration); documented with the public part.
    return {"not_staff": "public"}.get(route.audience, route.audience)


def compose(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The gateway's document from the services' ones (`documents`: service name -> its /openapi.json)."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for service, raw in sorted(documents.items()):
        document = _namespaced(raw, service)
        schemas.update({f"{service}__{k}": v for k, v in document.get("components", {}).get("schemas", {}).items()})
        for upstream, operations in document["paths"].items():
            for method, operation in operations.items():
                found = _route_of(service, upstream, method) if method in METHODS else None
                if found is None:
                    continue
                route, public = found
                audience = _audience(route, public)
                described = dict(operation, operationId=f"{service}_{operation.get('operationId', method + upstream)}")
                described["tags"] = [audience]
                if audience != "public":
                    described["security"] = [{"bearer": []}]
                paths.setdefault(public, {})[method] = described
    # The gateway composes this booking itself from the account: its public body is the gateway's.
    if "post" in paths.get("/api/my/appointments", {}):
        paths["/api/my/appointments"]["post"]["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": BookForPersonBody.model_json_schema()}},
        }
    # So is an account's waitlist entry.
    if "post" in paths.get("/api/my/waitlist", {}):
        paths["/api/my/waitlist"]["post"]["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": JoinWaitlistForPersonBody.model_json_schema()}},
        }
    # The waiting room answers these itself in a rush (gateway/waiting_room/gate.py), before any service.
    for public, operations in paths.items():
        for method, operation in operations.items():
            if guarded(method.upper(), public, b"") == "api":
                _add_waiting_room(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rendez-vous santé — API publique / public API",
            "version": "1",
            "description": "Every operation the gateway exposes under /api. Staff tokens come from /api/staff/sessions "
            "(password, then a TOTP code); a staff token names one establishment, and staff act only there.",
        },
        "tags": TAGS,
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _add_waiting_room(operation: dict[str, Any]) -> None:
    header = {"schema": {"type": "string"}, "required": False}
    operation["parameters"] = [
        *operation.get("parameters", []),
        {"name": "Waiting-Room-Ticket", "in": "header", **header,
         "description": "The ticket of an earlier 429 (its place in the queue)"},
        {"name": "Waiting-Room-Admission", "in": "header", **header,
         "description": "The admission received once the ticket's turn came: passes without queueing for a while"},
    ]  # fmt: skip
    operation.setdefault("responses", {})["429"] = {
        "description": "File d'attente virtuelle / Virtual waiting room: a place in the queue, ask again later",
        "headers": {
            "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds before asking again"},
            "Waiting-Room-Ticket": {"schema": {"type": "string"}, "description": "The ticket to send back"},
        },
        "content": {"application/json": {"schema": WaitingRoomAnswer.model_json_schema()}},
    }
    operation["responses"]["503"] = {
        "description": "File d'attente virtuelle / Virtual waiting room: no place to give right now, ask again later",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds before asking again"}},
        "content": {"application/json": {"schema": WaitingRoomFull.model_json_schema()}},
    }


def service_documents() -> dict[str, dict[str, Any]]:
    """Each service's document, from its app built in this process (nothing is started or connected). A throwaway
    signing key: the settings refuse to build without one, and the document does not depend on it."""
    from services.accounts.main import create_app as accounts_app
    from services.accounts.settings import AccountsSettings
    from services.appointments.main import create_app as appointments_app
    from services.verification.main import create_app as verification_app

    private_pem, _ = generate_es256_keypair()
    return {
        "accounts": accounts_app(AccountsSettings(jwt_private_key=private_pem)).openapi(),
        "appointments": appointments_app().openapi(),
        "verification": verification_app().openapi(),
    }


def rendered() -> str:
    return json.dumps(compose(service_documents()), indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail when docs/openapi.json is out of date")
    args = parser.parse_args(argv)
    text = rendered()
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != text:
            print(f"{DOCUMENT} is out of date: run python -m devstack.openapi", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text)
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
