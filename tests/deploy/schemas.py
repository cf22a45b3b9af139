"""Offline validation of rendered manifests: built-in kinds against Kubernetes' own OpenAPI schemas
(kubernetes-validate), the operators' kinds against their CRD schemas vendored in deploy/k8s/crds."""

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

from tests.deploy.rendering import K8S, Manifest

# The oldest Kubernetes release the manifests target (policy/v1, autoscaling/v2, restricted pod security).
KUBERNETES_VERSION = "1.30"
CRD_DIR = K8S / "crds"


class InvalidManifestError(AssertionError):
    pass


def _refuse_unknown_fields(schema: Any) -> Any:
    """A structural CRD schema lets the API server drop unknown fields; `kubectl apply` (server-side field
    validation, on by default) refuses them instead. JSON Schema needs additionalProperties: false for that."""
    if isinstance(schema, dict):
        strict = {key: _refuse_unknown_fields(value) for key, value in schema.items()}
        if (
            "properties" in strict
            and "additionalProperties" not in strict
            and not strict.get("x-kubernetes-preserve-unknown-fields")
        ):
            strict["additionalProperties"] = False
        return strict
    if isinstance(schema, list):
        return [_refuse_unknown_fields(item) for item in schema]
    return schema


@cache
def crd_schemas(directory: Path = CRD_DIR) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> strict openAPIV3Schema, from every vendored schema file."""
    schemas = {}
    for path in sorted(directory.glob("*.yaml")):
        vendored = yaml.safe_load(path.read_text())
        schemas[(vendored["apiVersion"], vendored["kind"])] = _refuse_unknown_fields(vendored["openAPIV3Schema"])
    return schemas


def _where(manifest: Manifest) -> str:
    return f"{manifest.get('kind')}/{manifest.get('metadata', {}).get('name')}"


def validate(manifest: Manifest) -> None:
    """Raises InvalidManifestError naming the object, the field path and the reason."""
    key = (manifest.get("apiVersion", ""), manifest.get("kind", ""))
    schema = crd_schemas().get(key)
    if schema is not None:
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(manifest), key=lambda e: list(e.path))
        if errors:
            details = "; ".join(f"{'.'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors)
            raise InvalidManifestError(f"{_where(manifest)} against its vendored CRD schema: {details}")
        return
    try:
        kubernetes_validate.validate(copy.deepcopy(manifest), KUBERNETES_VERSION, strict=True)
    except ValidationError as error:
        path = ".".join(map(str, error.path)) or "(root)"
        where = f"{_where(manifest)} (Kubernetes {KUBERNETES_VERSION})"
        raise InvalidManifestError(f"{where}: {path}: {error.message}") from None
    except SchemaNotFoundError as error:
        raise InvalidManifestError(
            f"{_where(manifest)}: no schema for {key[0]} {key[1]}: neither a Kubernetes {KUBERNETES_VERSION} kind "
            f"nor a CRD vendored in {CRD_DIR.relative_to(K8S.parents[1])} ({error})"
        ) from None
