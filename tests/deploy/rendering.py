"""Renders the kustomize overlays under deploy/k8s with `kubectl kustomize`, the command an operator runs."""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")

Manifest = dict[str, Any]


class KubectlMissingError(RuntimeError):
    """No kubectl on PATH: the manifest tests cannot render anything, so they fail (never skip)."""


class RenderError(RuntimeError):
    pass


def kubectl(search_path: str | None = None) -> str:
    found = shutil.which("kubectl", path=search_path)
    if not found:
        raise KubectlMissingError(
            "kubectl not found on PATH: the manifest tests render deploy/k8s with `kubectl kustomize`. "
            "Install it with `bash scripts/ensure-kubectl.sh` (Debian's kubernetes-client; `make test` runs it)."
        )
    return found


def render(directory: Path) -> list[Manifest]:
    """Every object `kubectl kustomize <directory>` prints; RenderError with kubectl's own message otherwise."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(directory)], capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RenderError(f"kubectl kustomize {directory} exited {result.returncode}:\n{result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def overlay(name: str, root: Path = K8S) -> Path:
    return root / "overlays" / name
