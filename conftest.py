import sys

import pytest

from shared.testing.tracebacks import traceback_style

pytest_plugins = ["shared.testing.fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    config.option.tbstyle = traceback_style(sys.version_info, config.option.tbstyle)
