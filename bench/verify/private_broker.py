"""A RabbitMQ node of our own, so the chaos check can restart a broker without touching the shared one."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from devstack.testing.fixtures import free_port


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PrivateBroker:
    """One node under a temporary directory, on free ports; its quorum queues survive a restart."""

    def __init__(self, start_timeout: float = 60.0) -> None:
        self.node = f"verify{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self._dist_port = free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="verify-rabbitmq-"))
        self._timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _environ(self) -> dict[str, str]:
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self._dist_port),
            "RABBITMQ_MNESIA_BASE": str(self._dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self._dir / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self._dir / "enabled_plugins"),
            "RABBITMQ_FEATURE_FLAGS_FILE": str(self._dir / "feature_flags"),
            "RABBITMQ_CONFIG_FILE": str(self._dir / "rabbitmq"),
        }

    def start(self) -> "PrivateBroker":
        if shutil.which("rabbitmq-server") is None:
            raise RuntimeError("rabbitmq-server is not installed: run `make infra` (it installs RabbitMQ)")
        (self._dir / "mnesia").mkdir(exist_ok=True)
        (self._dir / "log").mkdir(exist_ok=True)
        (self._dir / "enabled_plugins").write_text("[].\n")
        if os.geteuid() == 0:
            # Run as root, rabbitmq-server drops to the rabbitmq user, which must own its directories.
            shutil.chown(self._dir, "rabbitmq", "rabbitmq")
            for path in self._dir.rglob("*"):
                shutil.chown(path, "rabbitmq", "rabbitmq")
        output = (self._dir / "server.out").open("ab")
        self._process = subprocess.Popen(
            ["rabbitmq-server"],
            env=self._environ(),
            cwd=self._dir,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self._timeout
        while not _port_open(self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"the private RabbitMQ node exited; see {self._dir / 'server.out'}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the private RabbitMQ node did not listen within {self._timeout} s")
            time.sleep(0.2)
        return self

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        subprocess.run(
            ["rabbitmqctl", "-n", self.node, "stop"],
            env=self._environ(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        try:
            self._process.wait(30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)

    def restart(self) -> float:
        """Stops and starts the node; returns how long the broker was away, in seconds."""
        began = time.monotonic()
        self.stop()
        self.start()
        self.restarts += 1
        return time.monotonic() - began

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
