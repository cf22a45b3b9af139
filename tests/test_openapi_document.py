"""The gateway's OpenAPI document (docs/openapi.json) describes the public API as the code serves it: the citizen,
staff and operator parts alike, each operation tagged with who may call it."""

import json

from devstack import openapi
from gateway.routes import ROUTES


def test_the_published_document_is_what_the_code_describes():
    published = openapi.DOCUMENT.read_text()
    assert published == openapi.rendered(), "docs/openapi.json is out of date: run python -m devstack.openapi"


def test_every_route_of_the_gateway_has_documented_operations():
    paths = json.loads(openapi.DOCUMENT.read_text())["paths"]
    for route in ROUTES:
        documented = [p for p in paths if p == route.public_prefix or p.startswith(route.public_prefix + "/")]
        assert documented, f"{route.public_prefix} ({route.audience}) has no documented operation"


def test_signed_in_parts_are_tagged_and_need_a_bearer_token():
    document = json.loads(openapi.DOCUMENT.read_text())
    seen = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            (tag,) = operation["tags"]
            seen.add(tag)
            if path.startswith(("/api/admin/", "/api/operator/")):
                assert tag in ("staff", "operator"), f"{method} {path}"
            if path.startswith("/api/operator/"):
                assert tag == "operator", f"{method} {path}"
            if path.startswith(("/api/me", "/api/my/")):
                assert tag == "citizen", f"{method} {path}"
            assert ("security" in operation) == (tag != "public"), f"{method} {path}"
            refusal = operation["responses"].get("422", {})
            assert "ErrorBody" in json.dumps(refusal), f"{method} {path} does not document its refusals"
    assert {"public", "citizen", "staff"} <= seen
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
