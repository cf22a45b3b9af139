"""Failures stay readable on Debian 12's Python 3.11.2 (devstack/testing/tracebacks.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

from devstack.testing.tracebacks import traceback_style

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("version", "chosen", "style"),
    [
        ((3, 11, 2), "auto", "native"),  # Debian 12
        ((3, 11, 0), "auto", "native"),
        ((3, 11, 7), "auto", "native"),
        ((3, 11, 8), "auto", "auto"),  # fixed
        ((3, 12, 1), "auto", "auto"),
        ((3, 10, 13), "auto", "auto"),  # never had the AST recursion check
        ((3, 11, 2, "final", 0), "auto", "native"),  # sys.version_info's shape
        ((3, 11, 2), "short", "short"),  # asked for: kept
        ((3, 11, 2), "long", "long"),
    ],
)
def test_pytest_default_becomes_native_on_affected_interpreters(
    version: tuple[int, ...], chosen: str, style: str
) -> None:
    assert traceback_style(version, chosen) == style


def test_the_root_conftest_applies_it_to_this_interpreter() -> None:
    """A real pytest run from the repository root, as `make test` starts one, of a test that fails."""
    probe = Path(__file__).with_name("failing_probe.py").relative_to(ROOT)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", str(probe)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert f"tbstyle={traceback_style(sys.version_info, 'auto')}" in run.stdout, output
    assert "AssertionError: the reason is shown" in run.stdout, output
    assert "INTERNALERROR" not in output
