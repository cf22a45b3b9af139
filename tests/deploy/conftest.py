import pytest

from tests.deploy.rendering import OVERLAYS, Manifest, overlay, render


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Manifest]]:
    """Each overlay as `kubectl kustomize` renders it (fails, never skips, without kubectl)."""
    return {name: render(overlay(name)) for name in OVERLAYS}
