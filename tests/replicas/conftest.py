import pytest

from devstack.mail_sink import MailSink
from devstack.supervisor import Supervisor
from devstack.testing.fixtures import truncate_all


@pytest.fixture
def replicas(replicated_stack: Supervisor, mail_sink: MailSink) -> Supervisor:
    """The replicated stack with empty databases and an empty mailbox."""
    truncate_all(replicated_stack.config.database_urls)
    return replicated_stack


def log_count(system: Supervisor, app: str, event: str) -> dict[str, int]:
    """Per replica of `app`: how many log lines so far carry this structlog event."""
    return {name: system.log_text(name).count(f'"event": "{event}"') for name in system.config.instances(app)}
