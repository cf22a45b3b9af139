from collections.abc import Iterator

import pytest

from bench.verify.environment import VerifyEnvironment


@pytest.fixture(scope="module")
def verify_env(pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VerifyEnvironment]:
    """The same private stack `make verify` runs against (its own RabbitMQ node, databases and sinks)."""
    with VerifyEnvironment(log_dir=tmp_path_factory.mktemp("verify-logs"), pg_admin_url=pg_admin_url) as env:
        yield env
