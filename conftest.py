import sys

import pytest

from devstack.testing.tracebacks import traceback_style

pytest_plugins = ["devstack.testing.fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    config.option.tbstyle = traceback_style(sys.version_info, config.option.tbstyle)
