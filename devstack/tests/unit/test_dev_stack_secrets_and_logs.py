"""The dev stack's service logs are private to their owner, and its secrets are random, never the default
published in shared/settings.py (which let anyone compute a dev stack's manage-link tokens)."""

import os
import stat

from devstack.supervisor import StackConfig, open_private_log, persistent_dev_secrets
from shared.settings import DEV_SECRET


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_service_log_is_created_0600_and_an_older_one_made_so(tmp_path):
    fresh = tmp_path / "accounts.log"
    with open_private_log(fresh) as log:
        log.write(b"line\n")
    assert _mode(fresh) == 0o600

    older = tmp_path / "gateway.log"
    older.write_bytes(b"from an earlier run\n")
    older.chmod(0o644)
    with open_private_log(older) as log:
        log.write(b"appended\n")
    assert _mode(older) == 0o600
    assert older.read_bytes() == b"from an earlier run\nappended\n"


def test_every_stack_gets_its_own_random_secrets():
    first = StackConfig(database_urls={"accounts": "x", "appointments": "y", "verification": "z"}, amqp_url="amqp://")
    second = StackConfig(database_urls=first.database_urls, amqp_url="amqp://")
    environ = first.environ()
    names = ("ACCOUNTS_SECRET_KEY", "APPOINTMENTS_SECRET_KEY", "ACCOUNTS_NAM_KEY", "APPOINTMENTS_NAM_KEY")
    for name in names:
        if name not in os.environ:  # a value the caller's environment sets wins
            assert environ[name] not in ("", DEV_SECRET)
            assert environ[name] != second.environ()[name]
    # Services that match NAMs share one key.
    assert environ["ACCOUNTS_NAM_KEY"] == environ["APPOINTMENTS_NAM_KEY"] == environ["VERIFICATION_NAM_KEY"]


def test_make_run_keeps_the_secrets_of_its_first_run_private(tmp_path):
    path = tmp_path / ".run" / "dev-secrets.json"
    first = persistent_dev_secrets(path)
    assert _mode(path) == 0o600
    assert persistent_dev_secrets(path) == first
    assert DEV_SECRET not in first.values()
