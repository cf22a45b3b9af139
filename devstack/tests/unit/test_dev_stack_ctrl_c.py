"""`make run` stops on Ctrl-C without a traceback: the terminal sends SIGINT to every process of its group, the
mail and SMS sinks too. And it prints each demo credential on labelled lines of its own."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack.__main__ import credentials_lines
from devstack.demo_data.accounts import CLERK, MANAGER
from devstack.supervisor import http_ok
from devstack.testing.fixtures import free_port

ROOT = Path(__file__).resolve().parents[3]


def _sink(module: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", f"devstack.{module}", *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_until_answering(process: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 20
    while not http_ok(url):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{url} never answered"
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("module", ["mail_sink", "sms_sink"])
def test_a_sink_stops_on_ctrl_c_or_sigterm_without_a_traceback(module: str, signum: signal.Signals) -> None:
    http_port = free_port()
    if module == "mail_sink":
        process = _sink(module, "--smtp-port", str(free_port()), "--http-port", str(http_port))
        url = f"http://127.0.0.1:{http_port}/api/messages"
    else:
        process = _sink(module, "--port", str(http_port))
        url = f"http://127.0.0.1:{http_port}/api/messages"
    try:
        _wait_until_answering(process, url)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=15)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert not http_ok(url)


def test_each_demo_credential_is_printed_on_a_labelled_line_of_its_own() -> None:
    printed = credentials_lines("Demo clerk", CLERK.email, CLERK.password) + credentials_lines(
        "Demo manager", MANAGER.email, MANAGER.password
    )
    assert printed.splitlines() == [
        f"  Demo clerk     : e-mail   {CLERK.email}",
        f"                   password {CLERK.password}",
        f"  Demo manager   : e-mail   {MANAGER.email}",
        f"                   password {MANAGER.password}",
    ]
