"""Not collected by default (not test_*.py): test_traceback_style.py runs it in a pytest of its own, from the
repository root as `make test` does, to see the style the root conftest chose and that the reason is shown."""

import pytest


def test_fails_on_purpose(request: pytest.FixtureRequest) -> None:
    print(f"tbstyle={request.config.option.tbstyle}")
    assert 1 == 2, "the reason is shown"
